using System.Runtime.InteropServices;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// Retention for the embedded broker, after consumption. The mock cluster keeps each partition's batches in a linked
/// list (up to 5 MiB or 100k batches) and finds a fetch's batch by walking it from the oldest
/// (<c>rd_kafka_mock_msgset_find</c>), once per batch and consumer, since a fetch returns one batch per partition. At
/// a steady rate the walk grows until the lists are full: at 5k tx/s the mock thread went from 11 % to ~70 % of a core
/// within 30 s, 87 % of it in that walk, and end-to-end latency grew with it (docs/LATENCY.md).
/// The mock has no retention setting and no DeleteRecords, so this lowers each partition's batch cap (its
/// <c>max_cnt</c>, which the mock applies on every append) every <see cref="TrimInterval"/> to what the slowest group
/// that has committed on the partition has not committed yet (its batches counted from the newest back to its committed
/// offset), plus <see cref="HeadroomSeconds"/> of appends: what every
/// committing consumer still needs stays, as with Kafka's DeleteRecords below the committed offsets. Partitions no
/// group has committed on keep the mock's own limits. The caps are fields of the mock's structs, reached with the
/// layout of the one librdkafka build this project ships (<see cref="MockLayout.Version"/>), checked against the
/// topics as created; with any other build, or if the check fails, nothing is trimmed.
/// </summary>
public sealed unsafe partial class EmbeddedBroker
{
    /// <summary>How often the caps follow the committed offsets.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Appends kept beyond the committed offsets, in seconds at the partition's recent append rate.</summary>
    public const double HeadroomSeconds = 1;

    /// <summary>Fewest batches a trimmed partition keeps.</summary>
    public const int MinBatchesKept = 64;

    /// <summary>
    /// Uncommitted messages on a partition beyond which it is not trimmed at all (a lagging group keeps everything), when
    /// its batches cannot be counted (<see cref="TrimmedPartition"/>).
    /// </summary>
    public const long MaxTrimmedLag = 20_000;

    /// <summary>
    /// Batches kept beyond a counted need, and short of the cap in force where the next count stops: the batches the mock
    /// may append, and so free at the head, while a count walks (a few; a tick's appends are within the headroom).
    /// </summary>
    private const long WalkMargin = 64;

    private readonly List<TrimmedPartition> _trimmed = [];
    private readonly Lock _trimGate = new();
    private bool _layoutMatches = true;
    private Thread? _trimmer;
    private volatile bool _stopTrimming;

    /// <summary>
    /// Whether the partitions' caps follow the committed offsets (false on a librdkafka build whose layout is not
    /// known, or when started with <c>trimConsumed: false</c>).
    /// </summary>
    public bool TrimsConsumed { get; private set; }

    /// <summary>
    /// Batches the partitions of <paramref name="topic"/> hold now and the caps in force, for tests and reports; empty on
    /// a librdkafka build whose layout is not known.
    /// </summary>
    public IReadOnlyList<(int Partition, long Batches, long Cap, long StartOffset, long EndOffset)> Retention(string topic)
    {
        var result = new List<(int, long, long, long, long)>();
        lock (_trimGate)
        {
            foreach (var p in _trimmed)
            {
                if (p.Topic == topic)
                {
                    var at = (byte*)p.Address;
                    result.Add((p.Id, (long)Volatile.Read(ref *(ulong*)(at + MockLayout.BatchCount)),
                        (long)Volatile.Read(ref *(ulong*)(at + MockLayout.MaxBatches)),
                        Volatile.Read(ref *(long*)(at + MockLayout.StartOffset)), Volatile.Read(ref *(long*)(at + MockLayout.EndOffset))));
                }
            }
        }

        return result;
    }

    /// <summary>Finds the new topic's partitions in the mock's structs, if this build's layout is the known one and matches.</summary>
    private void TrackForTrimming(string topic, int partitions)
    {
        if (!_layoutMatches)
        {
            return;
        }

        var found = FindPartitions(_cluster, topic, partitions);
        if (found is null)
        {
            // The layout did not match: trim nothing rather than write into a struct we do not know.
            _layoutMatches = false;
            TrimsConsumed = false;
            return;
        }

        lock (_trimGate)
        {
            for (var i = 0; i < partitions; i++)
            {
                _trimmed.Add(new TrimmedPartition(topic, i, found.Value + (i * MockLayout.PartitionSize)));
            }
        }

        if (TrimsConsumed && _trimmer is null)
        {
            _trimmer = new Thread(TrimLoop) { IsBackground = true, Name = "fs-broker-trim" };
            _trimmer.Start();
        }
    }

    private static bool LayoutKnown() =>
        RuntimeInformation.ProcessArchitecture == Architecture.X64 && LibrdkafkaNative.Api.Version() == MockLayout.Version;

    /// <summary>
    /// The partition's batch list where the layout says: empty as TAILQ_INIT leaves it (no first batch, the tail
    /// pointing at the head), or a first batch whose back link points at the head.
    /// </summary>
    private static bool BatchListAt(byte* mpart)
    {
        var head = mpart + MockLayout.MessageSets;
        var first = *(byte**)head;
        return first == null
            ? *(byte**)(mpart + MockLayout.MessageSetsLast) == head
            : *(byte**)(first + MockLayout.MessageSetPrevious) == head;
    }

    /// <summary>The topic's partition array, checked field by field against what was created; null when anything differs.</summary>
    private static IntPtr? FindPartitions(IntPtr cluster, string topic, int partitions)
    {
        var mtopic = *(byte**)((byte*)cluster + MockLayout.ClusterTopics);
        for (var guard = 0; mtopic != null && guard < 10_000; guard++, mtopic = *(byte**)mtopic)
        {
            var name = *(IntPtr*)(mtopic + MockLayout.TopicName);
            if (name == IntPtr.Zero || Marshal.PtrToStringUTF8(name) != topic)
            {
                continue;
            }

            var array = *(byte**)(mtopic + MockLayout.TopicPartitions);
            if (*(int*)(mtopic + MockLayout.TopicPartitionCount) != partitions || array == null)
            {
                return null;
            }

            for (var i = 0; i < partitions; i++)
            {
                var mpart = array + (i * MockLayout.PartitionSize);
                if (*(int*)(mpart + MockLayout.PartitionId) != i || *(byte**)(mpart + MockLayout.PartitionTopic) != mtopic ||
                    *(ulong*)(mpart + MockLayout.MaxBatches) != MockLayout.DefaultMaxBatches || !BatchListAt(mpart))
                {
                    return null;
                }
            }

            return (IntPtr)array;
        }

        return null;
    }

    private void TrimLoop()
    {
        while (!_stopTrimming)
        {
            Thread.Sleep(TrimInterval);
            lock (_trimGate)
            {
                if (_stopTrimming)
                {
                    return;
                }

                foreach (var partition in _trimmed)
                {
                    partition.Trim();
                }
            }
        }
    }

    /// <summary>Stops the trimmer before the cluster (and its structs) go away.</summary>
    private void StopTrimming()
    {
        lock (_trimGate)
        {
            _stopTrimming = true;
            _trimmed.Clear();
        }

        _trimmer?.Join();
    }

    /// <summary>
    /// One mock partition. Its fields are written by the mock thread; this reads aligned 8-byte values and the newest
    /// batches of the list (<see cref="BatchesFrom"/>: only those the cap in force protects, never the oldest, which the
    /// mock frees as it trims) and writes only the caps, which the mock reads on its next append.
    /// </summary>
    private sealed class TrimmedPartition(string topic, int id, IntPtr address)
    {
        /// <summary>End offsets of the last ticks: the headroom is what was appended over <see cref="HeadroomSeconds"/>.</summary>
        private readonly long[] _recentEnds = new long[(int)Math.Ceiling(HeadroomSeconds / TrimInterval.TotalSeconds)];
        private long _ticks;

        /// <summary>The batch cap this wrote last (the mock's own until the first write).</summary>
        private ulong _cap = MockLayout.DefaultMaxBatches;

        /// <summary>Whether the byte cap was lifted on an earlier tick: until then the mock may drop batches by size.</summary>
        private bool _bytesLifted;

        public string Topic { get; } = topic;

        public int Id { get; } = id;

        public IntPtr Address { get; } = address;

        public void Trim()
        {
            var at = (byte*)Address;
            var batches = (long)Volatile.Read(ref *(ulong*)(at + MockLayout.BatchCount));
            var start = Volatile.Read(ref *(long*)(at + MockLayout.StartOffset));
            var end = Volatile.Read(ref *(long*)(at + MockLayout.EndOffset));
            var slot = (int)(_ticks++ % _recentEnds.Length);
            var headroom = _ticks > _recentEnds.Length ? Math.Max(0, end - _recentEnds[slot]) : end;
            _recentEnds[slot] = end;
            var committed = SlowestCommitted(at);
            if (committed < 0 || batches <= 0 || end <= start)
            {
                return;
            }

            // What some group has not committed must never go: it is counted as one batch per message (a batch holds at
            // least one), whatever the average batch size. The headroom (appends until the next tick) at twice the average.
            // A group further behind than MaxTrimmedLag stops the trimming altogether until it catches up: at 90k tx/s on
            // the GPU host an average-based estimate dropped batches a lagging consumer had not read yet.
            var uncommitted = Math.Max(0, end - committed);

            // The mock's own byte cap (5 MiB a partition) drops what a consumer more than about a second behind at
            // 90k tx/s has not read: on a partition the trim follows, the committed offsets bound what is kept instead.
            Volatile.Write(ref *(ulong*)(at + MockLayout.MaxBytes), MockLayout.TrimmedMaxBytes);
            var messagesPerBatch = Math.Max(1.0, (end - start) / (double)batches);
            var headroomBatches = (long)Math.Ceiling(2.0 * headroom / messagesPerBatch) + MinBatchesKept;

            // Counted: the batches from the newest back to the one holding the committed offset, which is all that must
            // stay. A group behind then keeps its own backlog and nothing older, so its fetches (which walk the list from
            // the oldest) stay short however far behind it is; a cap from the uncommitted message count instead kept up to
            // one batch per message, the batches below the committed offset were walked on every fetch, and a lag fed
            // itself (100k tx/s on the GPU host, docs/BENCHMARKS.md). Only once the byte cap is known lifted, and only
            // as far back as the cap in force keeps (less a margin for appends during the walk).
            var counted = _bytesLifted ? BatchesFrom(at, committed, (long)_cap - WalkMargin) : -1;
            _bytesLifted = true;
            long keep;
            if (counted >= 0)
            {
                keep = counted + headroomBatches + WalkMargin;
            }
            else if (uncommitted > MaxTrimmedLag)
            {
                keep = (long)MockLayout.LaggingMaxBatches;
            }
            else
            {
                keep = uncommitted + headroomBatches;
            }

            _cap = (ulong)Math.Clamp(keep, MinBatchesKept, (long)MockLayout.LaggingMaxBatches);
            Volatile.Write(ref *(ulong*)(at + MockLayout.MaxBatches), _cap);
        }

        /// <summary>
        /// How many batches, counted from the newest, reach back to the one holding <paramref name="offset"/> (all of
        /// them when the oldest is after it); -1 when that is more than <paramref name="limit"/>. The walk goes
        /// backwards from the list's tail: the mock appends at the tail (the new batch's links are set before the tail
        /// points to it) and frees only at the head, and only while the list holds more than its cap, so the newest
        /// <c>cap</c> batches are never freed under the walk.
        /// </summary>
        private static long BatchesFrom(byte* mpart, long offset, long limit)
        {
            var head = mpart + MockLayout.MessageSets;
            // tqh_last points at the newest batch's tqe_next, its first field: the batch itself (or at the head when empty).
            var batch = (byte*)Volatile.Read(ref *(IntPtr*)(mpart + MockLayout.MessageSetsLast));
            long count = 0;
            while (batch != head)
            {
                if (++count > limit)
                {
                    return -1;
                }

                if (Volatile.Read(ref *(long*)(batch + MockLayout.MessageSetFirstOffset)) <= offset)
                {
                    return count;
                }

                // tqe_prev points at the older batch's tqe_next (the batch itself), or at the head for the oldest.
                batch = (byte*)Volatile.Read(ref *(IntPtr*)(batch + MockLayout.MessageSetPrevious));
            }

            return count;
        }

        /// <summary>The lowest offset committed by any group on this partition; -1 when none has committed.</summary>
        private static long SlowestCommitted(byte* mpart)
        {
            var lowest = long.MaxValue;
            var entry = Volatile.Read(ref *(IntPtr*)(mpart + MockLayout.CommittedOffsets));
            for (var guard = 0; entry != IntPtr.Zero && guard < 1000; guard++)
            {
                var offset = Volatile.Read(ref *(long*)((byte*)entry + MockLayout.CommittedOffset));
                if (offset >= 0)
                {
                    lowest = Math.Min(lowest, offset);
                }

                entry = Volatile.Read(ref *(IntPtr*)entry);
            }

            return lowest == long.MaxValue ? -1 : lowest;
        }
    }

    /// <summary>
    /// Offsets in librdkafka 2.16.0's mock structs (src/rdkafka_mock_int.h: rd_kafka_mock_cluster_s, _topic_s,
    /// _partition_s, _committed_offset_s), x64.
    /// </summary>
    private static class MockLayout
    {
        /// <summary>rd_kafka_version() of the build the offsets are for.</summary>
        public const int Version = 0x021000ff;

        public const int ClusterTopics = 72;
        public const int TopicName = 16;
        public const int TopicPartitions = 64;
        public const int TopicPartitionCount = 72;
        public const int PartitionSize = 264;
        public const int PartitionId = 16;
        public const int StartOffset = 24;
        public const int EndOffset = 32;
        public const int BatchCount = 88;
        public const int MaxBytes = 96;
        public const int MaxBatches = 104;
        public const int CommittedOffsets = 112;

        /// <summary>The partition's batch list (TAILQ_HEAD msgsets): tqh_first, then tqh_last.</summary>
        public const int MessageSets = 64;
        public const int MessageSetsLast = 72;

        /// <summary>rd_kafka_mock_msgset_s: link.tqe_next at 0, link.tqe_prev at 8, first_offset at 16.</summary>
        public const int MessageSetPrevious = 8;
        public const int MessageSetFirstOffset = 16;
        public const int PartitionTopic = 224;
        public const int CommittedOffset = 24;

        /// <summary>The mock's own batch cap (rd_kafka_mock_partition_init).</summary>
        public const ulong DefaultMaxBatches = 100_000;

        /// <summary>Byte cap of a trimmed partition: high enough never to bind before the batch cap does.</summary>
        public const ulong TrimmedMaxBytes = 4UL << 30;

        /// <summary>Batch cap while a group lags by more than <see cref="MaxTrimmedLag"/>: keep everything it has not read.</summary>
        public const ulong LaggingMaxBatches = 10_000_000;
    }
}
