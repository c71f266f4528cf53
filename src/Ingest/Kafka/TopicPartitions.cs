using Confluent.Kafka;

namespace FraudStream.Ingest.Kafka;

/// <summary>A topic's partitions as the cluster's metadata gives them.</summary>
public static class TopicPartitions
{
    /// <summary>The partition ids of <paramref name="topic"/>, ascending; empty when it does not exist (yet) or the cluster did not answer.</summary>
    public static IReadOnlyList<int> Of(string bootstrap, string topic, TimeSpan? timeout = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        return Of(admin, topic, timeout);
    }

    /// <summary>
    /// The same through an admin client already open — for a periodic listing, one made with
    /// <see cref="DependentAdminClientBuilder"/> on the caller's consumer, so each listing opens no client, threads or
    /// connections of its own.
    /// </summary>
    public static IReadOnlyList<int> Of(IAdminClient admin, string topic, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(admin);
        try
        {
            var metadata = admin.GetMetadata(topic, timeout ?? TimeSpan.FromSeconds(5));
            var partitions = new List<int>();
            foreach (var t in metadata.Topics)
            {
                if (t.Topic == topic && t.Error.Code == ErrorCode.NoError)
                {
                    foreach (var p in t.Partitions)
                    {
                        partitions.Add(p.PartitionId);
                    }
                }
            }

            partitions.Sort();
            return partitions;
        }
        catch (KafkaException)
        {
            return [];
        }
    }
}
