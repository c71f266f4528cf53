using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Service.Demo;

/// <summary>
/// Reads the <c>decisions</c> topic live, from the beginning, and counts decisions per transaction id:
/// the demo's proof that every transaction got exactly one. It reads while the stream runs because the
/// embedded broker keeps only the newest ~5 MiB of each partition.
/// </summary>
internal sealed class DecisionTally : IDisposable
{
    private readonly Dictionary<string, (DecisionKind Kind, int Count)> _byId = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly string _bootstrap;
    private volatile bool _stop;
    private long _messages;

    public DecisionTally(string bootstrap)
    {
        _bootstrap = bootstrap;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-demo-tally" };
        _thread.Start();
    }

    public long Messages => Interlocked.Read(ref _messages);

    public int DistinctIds
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    /// <summary>A copy of the tally: id → (decision, how many decisions were seen).</summary>
    public Dictionary<string, (DecisionKind Kind, int Count)> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, (DecisionKind, int)>(_byId, StringComparer.Ordinal);
        }
    }

    private void Run()
    {
        var config = KafkaClients.ConsumerConfig(_bootstrap, "fraudstream-demo-tally", "demo-tally");
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Subscribe(Topics.Decisions);
        while (!_stop)
        {
            var r = consumer.Consume(50);
            if (r?.Message?.Value is null)
            {
                continue;
            }

            var decision = DecisionMessage.Parse(r.Message.Value);
            lock (_gate)
            {
                _byId[decision.Id] = _byId.TryGetValue(decision.Id, out var prev)
                    ? (decision.Decision, prev.Count + 1)
                    : (decision.Decision, 1);
            }

            Interlocked.Increment(ref _messages);
        }

        consumer.Close();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(10));
    }
}
