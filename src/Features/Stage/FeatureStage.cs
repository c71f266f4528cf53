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

    // Held by each label application and by a snapshot from its capture until it is written: labels are the only writers
    // of what a snapshot does not copy (expired merchants and cards, which only labels still change). Not a thread's lock:
    // a snapshot is captured on one thread and written on another.
    private readonly SemaphoreSlim _labelsGate = new(1, 1);
    private readonly Lock _snapshotGate = new(); // the snapshot's creation, preparation and each capture's start
    private StageSnapshot? _snapshot; // reused from one capture to the next: steady state copies into the same buffers
    private long _captures;

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

    public void ApplyLabel(Label label)
    {
        _labelsGate.Wait();
        try
        {
            _graph.ApplyLabel(label);
        }
        finally
        {
            _labelsGate.Release();
        }
    }

    /// <summary>
    /// The cheap half of <see cref="WriteCheckpoint"/>, for the barrier: copies the graph and every engine into a
    /// reused private snapshot (cards and nodes by value, the label index's and the devices' arrays), then the workers
    /// go on while <see cref="IStateSnapshot.WriteTo"/> writes the bytes <see cref="WriteCheckpoint"/> would have
    /// written now. What it does not copy — expired cards and merchants that the index and the cards still point to —
    /// only labels change, and labels wait until the snapshot is written. Quiescent, as for <see cref="WriteCheckpoint"/>.
    /// </summary>
    public IStateSnapshot CaptureCheckpoint()
    {
        var capture = BeginCheckpointCapture();
        try
        {
            for (var part = 0; part < capture.Parts; part++)
            {
                capture.CopyPart(part);
            }

            return capture.Complete();
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="CaptureCheckpoint"/> in parts: each partition's engine, then the graph's parts
    /// (<see cref="MerchantGraph.CaptureParts"/>). Takes the labels gate, held until the snapshot is written or disposed.
    /// </summary>
    public IStateCapture BeginCheckpointCapture()
    {
        if (_snapshot is { Pending: true })
        {
            // Before the labels gate, which that snapshot holds.
            throw new InvalidOperationException("the previous snapshot is not disposed yet");
        }

        _labelsGate.Wait();
        try
        {
            lock (_snapshotGate)
            {
                var snapshot = _snapshot ??= new StageSnapshot(_labelsGate);
                lock (_partitionsGate)
                {
                    snapshot.Begin(_graph, _partitions, ++_captures);
                }

                return snapshot;
            }
        }
        catch
        {
            _labelsGate.Release();
            throw;
        }
    }

    public void PrepareCheckpointCapture()
    {
        lock (_snapshotGate)
        {
            var snapshot = _snapshot ??= new StageSnapshot(_labelsGate);
            if (!snapshot.Pending)
            {
                _graph.PrepareSnapshot(snapshot.Graph);
            }
        }
    }

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

    /// <summary>
    /// One stage's snapshot and its buffers, reused: the graph's copy, one engine copy per partition (kept for a
    /// partition that comes back), the partitions in order. Holds the labels gate from capture until written.
    /// </summary>
    private sealed class StageSnapshot(SemaphoreSlim labelsGate) : IStateSnapshot, IStateCapture
    {
        private readonly Dictionary<int, FeatureEngine.Snapshot> _engines = [];
        private readonly List<int> _partitions = [];
        private readonly List<(FeatureEngine Live, FeatureEngine.Snapshot Copy)> _copying = []; // the engine parts, in order
        private MerchantGraph? _source; // the graph being copied, until Complete
        private int _partsCopied;
        private long _epoch;
        private int _holdsLabels; // 1 from capture until the labels gate is released
        private bool _written;

        public MerchantGraph.Snapshot Graph { get; } = new();

        public bool Pending { get; private set; }

        public long CopiedBytes
        {
            get
            {
                var bytes = Graph.CopiedBytes;
                foreach (var engine in _engines.Values)
                {
                    bytes += engine.CopiedBytes;
                }

                return bytes;
            }
        }

        public int Parts => _copying.Count + MerchantGraph.CaptureParts;

        public void Begin(MerchantGraph graph, Dictionary<int, Worker> partitions, long epoch)
        {
            _epoch = epoch;
            _source = graph;
            _partitions.Clear();
            _copying.Clear();
            foreach (var (partition, worker) in partitions)
            {
                _partitions.Add(partition);
                if (!_engines.TryGetValue(partition, out var engine))
                {
                    engine = new FeatureEngine.Snapshot();
                    _engines.Add(partition, engine);
                }

                _copying.Add((worker.Engine, engine));
            }

            _partitions.Sort();
            _partsCopied = 0;
            _written = false;
            _holdsLabels = 1;
            Pending = true;
        }

        public void CopyPart(int part)
        {
            if (_source is null)
            {
                throw new InvalidOperationException("no capture is being taken");
            }

            if (part < _copying.Count)
            {
                var (live, copy) = _copying[part];
                live.CaptureInto(copy, _epoch);
            }
            else
            {
                _source.CaptureInto(Graph, part - _copying.Count);
            }

            Interlocked.Increment(ref _partsCopied);
        }

        public IStateSnapshot Complete()
        {
            if (_source is null || Volatile.Read(ref _partsCopied) != Parts)
            {
                throw new InvalidOperationException($"a capture completes once, after all {Parts} parts are copied ({_partsCopied} are)");
            }

            _source = null;
            _copying.Clear(); // holds no live engine past the capture
            return this;
        }

        public void WriteTo(IBufferWriter<byte> destination)
        {
            if (!Pending || _written)
            {
                throw new InvalidOperationException("a snapshot is written once, after its capture");
            }

            try
            {
                var writer = CheckpointEnvelope.Begin(destination, CheckpointKind.Partitioned, out var payloadStart);
                var references = new ReferenceWriter(_epoch, Graph.LastOrphanId);
                Graph.WritePayload(ref writer, references);
                writer.WriteCount(_partitions.Count);
                foreach (var partition in _partitions)
                {
                    writer.WriteCount(partition);
                    _engines[partition].WritePayload(ref writer, references);
                }

                CheckpointEnvelope.End(ref writer, payloadStart);
                _written = true;
            }
            finally
            {
                ReleaseLabels();
            }
        }

        public void Dispose()
        {
            ReleaseLabels();
            _source = null;
            _copying.Clear();
            Pending = false;
        }

        private void ReleaseLabels()
        {
            if (Interlocked.Exchange(ref _holdsLabels, 0) == 1)
            {
                labelsGate.Release();
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
