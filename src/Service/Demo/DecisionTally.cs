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
    private readonly IdBook<(DecisionKind Kind, int Count)> _byId = new();
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly string _bootstrap;
    private volatile bool _stop;
    private long _messages;
    private long _distinct;
    private long _lastReadAt;

    public DecisionTally(string bootstrap)
    {
        _bootstrap = bootstrap;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-demo-tally" };
        _thread.Start();
    }

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Transaction ids with at least one decision read back.</summary>
    public long Distinct => Interlocked.Read(ref _distinct);

    /// <summary>Stopwatch timestamp at which the last decision was read back (0 before the first).</summary>
    public long LastReadAt => Interlocked.Read(ref _lastReadAt);

    /// <summary>A copy of the tally: id → (decision, how many decisions were seen).</summary>
    public IdBook<(DecisionKind Kind, int Count)> Snapshot()
    {
        lock (_gate)
        {
            return _byId.Copy();
        }
    }

    private void Run()
    {
        var config = KafkaClients.ConsumerConfig(_bootstrap, "fraudstream-demo-tally", "demo-tally", fetchWaitMaxMs: 50);
        // Commits what it has read, so the embedded broker can drop those decisions (it trims below the committed offsets).
        config.EnableAutoOffsetStore = true;
        config.ConsumeResultFields = "none"; // only the value is read
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Subscribe(Topics.Decisions);
        while (!_stop)
        {
            var r = consumer.Consume(50);
            if (r?.Message?.Value is null)
            {
                continue;
            }

            var (id, kind) = ReadIdAndDecision(r.Message.Value);
            lock (_gate)
            {
                if (_byId.TryGetValue(id, out var prev))
                {
                    _byId.Set(id, (kind, prev.Count + 1));
                }
                else
                {
                    _byId.Set(id, (kind, 1));
                    Interlocked.Increment(ref _distinct);
                }
            }

            Interlocked.Increment(ref _messages);
            Interlocked.Exchange(ref _lastReadAt, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        consumer.Close();
    }

    /// <summary>Only the two fields the tally needs: cheaper than a full parse, since it runs beside the pipeline.</summary>
    private static (string Id, DecisionKind Kind) ReadIdAndDecision(byte[] json)
    {
        var reader = new System.Text.Json.Utf8JsonReader(json);
        string? id = null;
        var kind = DecisionKind.Approve;
        while (reader.Read())
        {
            if (reader.TokenType != System.Text.Json.JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals("decision"u8))
            {
                reader.Read();
                kind = DecisionKindNames.TryRead(ref reader, out var read) ? read : DecisionKind.Approve;
            }

            if (id is not null && reader.CurrentDepth == 1 && reader.TokenType == System.Text.Json.JsonTokenType.String && kind != DecisionKind.Approve)
            {
                break;
            }
        }

        return (id ?? "", kind);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(10));
    }
}
