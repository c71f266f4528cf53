using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Stage;

/// <summary>
/// The feature engine behind the pipeline: one <see cref="FeatureEngine"/> (per-card state) per worker,
/// one <see cref="MerchantGraph"/> shared by all of them and fed by the labels topic.
/// </summary>
public sealed class FeatureStage(FeatureOptions options) : IFeatureStage
{
    private readonly MerchantGraph _graph = new(options);

    public int FeatureCount => FeatureSchema.Count;

    public string SchemaVersion => FeatureSchema.Version;

    public MerchantGraph Graph => _graph;

    public IFeatureWorker CreateWorker() => new Worker(new FeatureEngine(_graph));

    public void ApplyLabel(Label label) => _graph.ApplyLabel(label);

    private sealed class Worker(FeatureEngine engine) : IFeatureWorker
    {
        public void Process(Transaction tx, Span<float> features) => engine.Process(tx, features);

        public void PrefetchAhead(Transaction upcoming) => engine.PrefetchAhead(upcoming);
    }
}
