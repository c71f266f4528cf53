using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Stage;

/// <summary>
/// The feature engine behind the pipeline: one <see cref="FeatureEngine"/> (per-card state) per Kafka partition, one
/// <see cref="MerchantGraph"/> shared by all of them and fed by the labels topic. A partition's engine is its unit of
/// state: the pipeline folds every partition into its engine, decided here or only followed (docs/STATE.md).
/// </summary>
public sealed class FeatureStage(FeatureOptions options) : IFeatureStage, IFeatureStatus
{
    private readonly Lock _partitionsGate = new();
    private readonly Dictionary<int, Worker> _partitions = [];
    private volatile MerchantGraph _graph = new(options);

    public int FeatureCount => FeatureSchema.Count;

    public string SchemaVersion => FeatureSchema.Version;

    public MerchantGraph Graph => _graph;

    public int CardCount
    {
        get
        {
            lock (_partitionsGate)
            {
                var cards = 0;
                foreach (var worker in _partitions.Values)
                {
                    cards += worker.Engine.CardCount;
                }

                return cards;
            }
        }
    }

    /// <summary>Cards evicted over all partitions because a partition's engine was full (<see cref="FeatureOptions.MaxCardsPerPartition"/>).</summary>
    public long CardsEvicted
    {
        get
        {
            lock (_partitionsGate)
            {
                long evicted = 0;
                foreach (var worker in _partitions.Values)
                {
                    evicted += worker.Engine.CardsEvicted;
                }

                return evicted;
            }
        }
    }

    public FeatureStateTelemetry StateNow()
    {
        var graph = _graph;
        return new(CardCount, CardsEvicted, graph.MerchantCount, graph.DeviceCount, graph.NodesEvicted);
    }

    public IFeatureWorker ForPartition(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        lock (_partitionsGate)
        {
            if (!_partitions.TryGetValue(partition, out var worker))
            {
                worker = new Worker(new FeatureEngine(_graph));
                _partitions.Add(partition, worker);
            }

            return worker;
        }
    }

    public void ApplyLabel(Label label) => _graph.ApplyLabel(label);

    /// <summary>
    /// One checkpoint of kind <see cref="CheckpointKind.Partitioned"/>: the graph, then each partition's engine in
    /// partition order, sharing one reference table (the label index and the cards point to the same merchants).
    /// </summary>
    public void WriteCheckpoint(IBufferWriter<byte> destination)
    {
        lock (_partitionsGate)
        {
            var writer = CheckpointEnvelope.Begin(destination, CheckpointKind.Partitioned, out var payloadStart);
            var references = new ReferenceWriter();
            _graph.WritePayload(ref writer, references);
            var partitions = new List<int>(_partitions.Keys);
            partitions.Sort();
            writer.WriteCount(partitions.Count);
            foreach (var partition in partitions)
            {
                writer.WriteCount(partition);
                _partitions[partition].Engine.WritePayload(ref writer, references);
            }

            CheckpointEnvelope.End(ref writer, payloadStart);
        }
    }

    public bool TryRestore(ReadOnlySpan<byte> checkpoint, out string? error)
    {
        lock (_partitionsGate)
        {
            if (_partitions.Count > 0)
            {
                throw new InvalidOperationException("a feature stage is restored before any partition is used");
            }

            try
            {
                var reader = new CheckpointReader(CheckpointEnvelope.Open(checkpoint, CheckpointKind.Partitioned));
                var graph = new MerchantGraph(options);
                var references = new ReferenceReader(graph);
                graph.ReadPayload(ref reader, references);
                var restored = new Dictionary<int, Worker>();
                var count = reader.ReadLength();
                for (var i = 0; i < count; i++)
                {
                    var partition = reader.ReadCount();
                    var engine = new FeatureEngine(graph);
                    engine.ReadPayload(ref reader, references);
                    if (!restored.TryAdd(partition, new Worker(engine)))
                    {
                        CheckpointReader.ThrowMalformed($"partition {partition} appears twice");
                    }
                }

                reader.ExpectEnd();
                _graph = graph;
                foreach (var (partition, worker) in restored)
                {
                    _partitions.Add(partition, worker);
                }

                error = null;
                return true;
            }
            catch (CheckpointRejectedException ex)
            {
                error = ex.Message;
                return false;
            }
        }
    }

    private sealed class Worker(FeatureEngine engine) : IFeatureWorker
    {
        public FeatureEngine Engine { get; } = engine;

        public void Process(Transaction tx, Span<float> features) => Engine.Process(tx, features);

        public void PrefetchAhead(Transaction upcoming) => Engine.PrefetchAhead(upcoming);
    }
}
