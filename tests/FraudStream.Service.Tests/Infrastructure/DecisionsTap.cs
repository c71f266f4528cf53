using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>
/// A downstream reader of the <c>decisions</c> topic that reads along while the test runs, every partition from the
/// beginning, committing nothing, and keeps every decision by id (one id twice is a duplicate the service produced).
/// Reading along rather than at the end: the embedded broker keeps at most 5 MiB of a partition no group commits on
/// (the mock's own cap), so a stream of more than ~80k decisions has lost its oldest ones by the time it ends.
/// </summary>
internal sealed class DecisionsTap : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly Thread _thread;
    private readonly Dictionary<string, List<DecisionKind>> _byId = new(StringComparer.Ordinal);
    private volatile bool _stop;
    private long _messages;
    private long _lastMessageAt = Environment.TickCount64;

    public DecisionsTap(string bootstrap, string topic = Topics.Decisions)
    {
        var config = KafkaClients.ConsumerConfig(bootstrap, "tap-" + Guid.NewGuid().ToString("N")[..8], "test-tap");
        config.EnableAutoCommit = false;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var partitions = TopicPartitions.Of(bootstrap, topic);
        Assert.NotEmpty(partitions);
        _consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        _thread = new Thread(Run) { IsBackground = true, Name = "decisions-tap" };
        _thread.Start();
    }

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Waits until at least <paramref name="ids"/> distinct ids have been read and the topic has been quiet a moment, then stops reading.</summary>
    public Dictionary<string, List<DecisionKind>> WaitFor(int ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            int distinct;
            lock (_byId)
            {
                distinct = _byId.Count;
            }

            if (distinct >= ids && Environment.TickCount64 - Interlocked.Read(ref _lastMessageAt) > 1_500)
            {
                break;
            }

            Thread.Sleep(100);
        }

        Stop();
        lock (_byId)
        {
            return new Dictionary<string, List<DecisionKind>>(_byId, StringComparer.Ordinal);
        }
    }

    public void Dispose()
    {
        Stop();
        _consumer.Close();
        _consumer.Dispose();
    }

    private void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stop)
        {
            var result = _consumer.Consume(100);
            if (result?.Message?.Value is not { } value)
            {
                continue;
            }

            var decision = DecisionMessage.Parse(value);
            lock (_byId)
            {
                if (!_byId.TryGetValue(decision.Id, out var decisions))
                {
                    decisions = [];
                    _byId[decision.Id] = decisions;
                }

                decisions.Add(decision.Decision);
            }

            Interlocked.Increment(ref _messages);
            Interlocked.Exchange(ref _lastMessageAt, Environment.TickCount64);
        }
    }
}
