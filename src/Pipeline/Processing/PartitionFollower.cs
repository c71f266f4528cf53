using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Folds the partitions this instance does not decide into its features, so that every instance's merchant and device
/// graph reflects every card (docs/STATE.md). Its own consumer, assigned (not subscribed), reads each followed partition
/// up to the offset the group has committed — the frontier — and never past it: the transactions it folds in are
/// decided (by the partition's owner), so when the partition is handed to this instance its features are exactly those
/// of the committed position, and deciding starts from there. Handoffs run on its thread, asked for by the group
/// consumer's rebalance callbacks.
/// </summary>
internal sealed partial class PartitionFollower
{
    /// <summary>How often the frontier (the group's committed offsets) is read again: the staleness it adds.</summary>
    private const int FrontierRefreshMs = 50;
    private const int MaxInFlight = 20_000;

    /// <summary>
    /// How often the transactions topic's partitions are listed again once known (and how often the group consumer
    /// refreshes its metadata): a partition added while running is followed, and assigned, within about this long.
    /// </summary>
    public const int PartitionDiscoveryMs = 10_000;

    private readonly DecisionServiceOptions _options;
    private readonly DecisionWorker[] _workers;
    private readonly ReplayProgress _progress;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stack<InFlight> _free = new();
    private readonly Queue<InFlight> _outstanding = new();

    // Owned by the follower's thread.
    private readonly Dictionary<int, long> _position = []; // followed partition → next offset to fold in
    private readonly Dictionary<int, long> _frontier = []; // followed partition → the group's committed offset
    private readonly HashSet<int> _paused = [];
    private readonly HashSet<int> _catchingUp = [];
    private readonly HashSet<int> _handedOff = [];
    private readonly Dictionary<int, long> _acquiredEarly = []; // handed back before the partitions were known
    private readonly HashSet<int> _known = []; // every partition of the topic seen so far, followed or not
    private readonly IReadOnlyDictionary<int, long> _startOffsets;
    private long _lastRefresh;
    private long _lastDiscovery = long.MinValue / 2;
    private bool _partitionsKnown;
    private volatile bool _stopping;
    private volatile IReadOnlyDictionary<int, long> _published = new Dictionary<int, long>();

    public PartitionFollower(DecisionServiceOptions options, DecisionWorker[] workers, IReadOnlyDictionary<int, long> startOffsets,
        ReplayProgress progress, ILogger logger)
    {
        _options = options;
        _workers = workers;
        _startOffsets = startOffsets;
        _progress = progress;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-follower" };
    }

    /// <summary>Followed partitions and the next offset each will fold in (published about every refresh).</summary>
    public IReadOnlyDictionary<int, long> Positions => _published;

    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    /// <summary>
    /// Stops following <paramref name="partition"/> and returns the next offset its features need (or
    /// <see cref="Offset.Beginning"/> when nothing of it was folded in). Blocks until the follower's thread has done it.
    /// </summary>
    public long Release(int partition) => Ask(new Request(RequestKind.Release, partition, 0)).Result;

    /// <summary>Follows <paramref name="partition"/> again from <paramref name="nextOffset"/> (the last decided + 1).</summary>
    public void Acquire(int partition, long nextOffset) => Ask(new Request(RequestKind.Acquire, partition, nextOffset));

    /// <summary>
    /// Stops dispatching and returns the next offset of every followed partition; the checkpoint's barrier then waits
    /// for the workers to fold in what was dispatched. Dispatching goes on after <see cref="Resume"/>.
    /// </summary>
    public IReadOnlyDictionary<int, long> Park()
    {
        var request = Ask(new Request(RequestKind.Park, 0, 0));
        return request.Positions!;
    }

    public void Resume() => Ask(new Request(RequestKind.Resume, 0, 0));

    private Request Ask(Request request)
    {
        if (_stopped.Task.IsCompleted)
        {
            request.Result = Offset.Beginning.Value;
            request.Positions = new Dictionary<int, long>();
            return request;
        }

        _requests.Enqueue(request);
        request.Handled.Task.Wait();
        return request;
    }

    private void Run()
    {
        try
        {
            var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId, _options.ClientId + "-follower", fetchWaitMaxMs: 20);
            // Assigned, not subscribed: never a member of the group, never commits; the group id is for reading the frontier.
            config.GroupProtocol = GroupProtocol.Classic;
            config.EnableAutoCommit = false;
            config.ConsumeResultFields = "none";
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Reason))
                .Build();
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build(); // the listing every 10 s, on the consumer's own connections
            var parked = false;
            while (!_stopping)
            {
                parked = HandleRequests(consumer, parked);
                Recycle();
                if (Environment.TickCount64 - _lastDiscovery >= (_partitionsKnown ? PartitionDiscoveryMs : 1000))
                {
                    _lastDiscovery = Environment.TickCount64;
                    DiscoverPartitions(consumer, admin);
                }

                if (Environment.TickCount64 - _lastRefresh >= FrontierRefreshMs)
                {
                    RefreshFrontier(consumer);
                }

                if (parked || _position.Count == 0 || _outstanding.Count >= MaxInFlight)
                {
                    Thread.Sleep(1);
                    continue;
                }

                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(10);
                }
                catch (ConsumeException ex)
                {
                    LogKafkaError(_logger, ex.Error.Reason);
                    continue;
                }

                if (result?.Message is not null)
                {
                    Fold(consumer, result);
                }
            }

            HandleRequests(consumer, parked);
            _published = new Dictionary<int, long>(_position);
            consumer.Close();
        }
#pragma warning disable CA1031 // The follower's failure is reported; the service stops (the state would go stale).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFollowerFailed(_logger, ex);
            _stopped.TrySetException(ex);
            FailPending();
            return;
        }

        _stopped.TrySetResult();
        FailPending();
    }

    private void FailPending()
    {
        while (_requests.TryDequeue(out var request))
        {
            request.Result = Offset.Beginning.Value;
            request.Positions = new Dictionary<int, long>();
            request.Handled.TrySetResult();
        }
    }

    /// <summary>A message behind the frontier is folded in; one at it waits (seek back, pause) until the owner commits past it.</summary>
    private void Fold(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result)
    {
        var partition = result.Partition.Value;
        var offset = result.Offset.Value;
        if (!_position.ContainsKey(partition))
        {
            return; // handed off meanwhile
        }

        if (!_frontier.TryGetValue(partition, out var frontier) || offset >= frontier)
        {
            // The result carries no topic name (not marshalled: ConsumeResultFields is none).
            var topicPartition = new TopicPartition(_options.TransactionsTopic, result.Partition);
            consumer.Seek(new TopicPartitionOffset(topicPartition, result.Offset));
            consumer.Pause([topicPartition]);
            _paused.Add(partition);
            MarkCaughtUp(partition);
            return;
        }

        var slot = _free.TryPop(out var free) ? free : new InFlight(static (_, _) => { });
        slot.Reset();
        slot.FeaturesOnly = true;
        slot.Partition = partition;
        slot.Offset = offset;
        slot.Key = result.Message.Key;
        slot.Payload = result.Message.Value ?? [];
        slot.EnqueuedAt = Stopwatch.GetTimestamp();
        _outstanding.Enqueue(slot);
        _position[partition] = offset + 1;
        _workers[partition % _workers.Length].Enqueue(slot);
    }

    private void Recycle()
    {
        while (_outstanding.TryPeek(out var head) && head.Done)
        {
            _outstanding.Dequeue();
            head.Payload = [];
            _free.Push(head);
        }
    }

    private void MarkCaughtUp(int partition)
    {
        if (_catchingUp.Remove(partition))
        {
            _progress.Done();
        }
    }

    private void DiscoverPartitions(IConsumer<byte[], byte[]> consumer, IAdminClient admin)
    {
        var partitions = TopicPartitions.Of(admin, _options.TransactionsTopic);
        if (partitions.Count == 0)
        {
            return;
        }

        // After the first listing, only partitions added to the topic since (while running) are new here. Those are
        // followed from their beginning (or a restored checkpoint's offset); they do not hold back the start's catching up.
        var first = !_partitionsKnown;
        _partitionsKnown = true;
        var assign = new List<TopicPartitionOffset>();
        foreach (var partition in partitions)
        {
            if (!_known.Add(partition) || _handedOff.Contains(partition) || _position.ContainsKey(partition))
            {
                continue;
            }

            var start = _acquiredEarly.TryGetValue(partition, out var acquired) ? acquired
                : _startOffsets.TryGetValue(partition, out var offset) ? offset : Offset.Beginning.Value;
            _position[partition] = start;
            if (first)
            {
                _catchingUp.Add(partition);
                _progress.Add();
            }

            assign.Add(new TopicPartitionOffset(_options.TransactionsTopic, partition, start));
        }

        if (assign.Count > 0)
        {
            consumer.IncrementalAssign(assign);
            if (!first)
            {
                LogPartitionsAdded(_logger, _options.TransactionsTopic, string.Join(',', assign.Select(a => a.Partition.Value)), partitions.Count);
            }
        }

        if (first)
        {
            _progress.Open(); // every partition is counted now: catching up can complete
        }

        _lastRefresh = 0;
        _published = new Dictionary<int, long>(_position);
    }

    private void RefreshFrontier(IConsumer<byte[], byte[]> consumer)
    {
        _lastRefresh = Environment.TickCount64;
        if (_position.Count > 0)
        {
            var partitions = new List<TopicPartition>(_position.Count);
            foreach (var partition in _position.Keys)
            {
                partitions.Add(new TopicPartition(_options.TransactionsTopic, partition));
            }

            List<TopicPartitionOffset> committed;
            try
            {
                committed = consumer.Committed(partitions, TimeSpan.FromSeconds(5));
            }
            catch (KafkaException ex)
            {
                LogKafkaError(_logger, "reading the committed offsets: " + ex.Error.Reason);
                return;
            }

            foreach (var tpo in committed)
            {
                var partition = tpo.Partition.Value;
                if (!_position.TryGetValue(partition, out var position))
                {
                    continue;
                }

                var frontier = tpo.Offset.Value >= 0 ? tpo.Offset.Value : 0;
                _frontier[partition] = frontier;
                if (frontier == 0 || (position >= 0 && position >= frontier))
                {
                    MarkCaughtUp(partition);
                }

                if (_paused.Contains(partition) && frontier > 0 && (position < 0 || position < frontier))
                {
                    consumer.Resume([tpo.TopicPartition]);
                    _paused.Remove(partition);
                }
            }
        }

        _published = new Dictionary<int, long>(_position);
    }

    private bool HandleRequests(IConsumer<byte[], byte[]> consumer, bool parked)
    {
        while (_requests.TryDequeue(out var request))
        {
            switch (request.Kind)
            {
                case RequestKind.Release:
                    request.Result = Unassign(consumer, request.Partition);
                    break;
                case RequestKind.Acquire:
                    Assign(consumer, request.Partition, request.Offset);
                    break;
                case RequestKind.Park:
                    parked = true;
                    request.Positions = new Dictionary<int, long>(_position);
                    break;
                case RequestKind.Resume:
                    parked = false;
                    break;
            }

            request.Handled.TrySetResult();
        }

        return parked;
    }

    private long Unassign(IConsumer<byte[], byte[]> consumer, int partition)
    {
        _handedOff.Add(partition);
        if (!_position.Remove(partition, out var position))
        {
            return Offset.Beginning.Value;
        }

        MarkCaughtUp(partition);
        _frontier.Remove(partition);
        _paused.Remove(partition);
        consumer.IncrementalUnassign([new TopicPartition(_options.TransactionsTopic, partition)]);
        _published = new Dictionary<int, long>(_position);
        return position;
    }

    private void Assign(IConsumer<byte[], byte[]> consumer, int partition, long nextOffset)
    {
        _handedOff.Remove(partition);
        if (!_partitionsKnown)
        {
            _acquiredEarly[partition] = nextOffset;
            return;
        }

        if (_position.ContainsKey(partition))
        {
            return;
        }

        _position[partition] = nextOffset;
        consumer.IncrementalAssign([new TopicPartitionOffset(_options.TransactionsTopic, partition, nextOffset)]);
        _lastRefresh = 0;
        _published = new Dictionary<int, long>(_position);
    }

    private enum RequestKind
    {
        Release,
        Acquire,
        Park,
        Resume,
    }

    private sealed class Request(RequestKind kind, int partition, long offset)
    {
        public RequestKind Kind { get; } = kind;

        public int Partition { get; } = partition;

        public long Offset { get; } = offset;

        public long Result { get; set; }

        public IReadOnlyDictionary<int, long>? Positions { get; set; }

        public TaskCompletionSource Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Follower: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Information,
        Message = "{Topic} has new partitions {Partitions} ({Count} in all): following them from their beginning until the group assigns them")]
    private static partial void LogPartitionsAdded(ILogger logger, string topic, string partitions, int count);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Critical, Message = "The partition follower failed")]
    private static partial void LogFollowerFailed(ILogger logger, Exception ex);
}
