using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;

namespace FraudStream.Features.Replay;

/// <summary>
/// Replays history in time order for training and evaluation: labels wait in a queue until their
/// reported time has come, so a label reported after a transaction can never affect that
/// transaction's features. Single-threaded (one engine, one graph).
/// </summary>
public sealed class FeatureReplay
{
    private readonly PriorityQueue<Label, long> _pending = new();

    public FeatureReplay(FeatureOptions? options = null)
    {
        Graph = new MerchantGraph(options);
        Engine = new FeatureEngine(Graph);
    }

    public FeatureEngine Engine { get; }

    public MerchantGraph Graph { get; }

    public int PendingLabels => _pending.Count;

    /// <summary>Queues a label; it is applied once a transaction at or after its reported time arrives.</summary>
    public void Enqueue(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        _pending.Enqueue(label, label.ReportedAt.Ticks);
    }

    /// <summary>Applies the queued labels reported at or before <paramref name="now"/>.</summary>
    public void ApplyDue(DateTime now)
    {
        while (_pending.TryPeek(out var label, out var reportedTicks) && reportedTicks <= now.Ticks)
        {
            _pending.Dequeue();
            Graph.ApplyLabel(label);
        }
    }

    public void Process(Transaction tx, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ApplyDue(tx.Timestamp);
        Engine.Process(tx, features);
    }
}
