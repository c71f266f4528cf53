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
/// that has committed on the partition has not committed yet, plus <see cref="HeadroomSeconds"/> of appends: what every
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

    /// <summary>Uncommitted messages on a partition beyond which it is not trimmed at all (a lagging group keeps everything).</summary>
    public const long MaxTrimmedLag = 20_000;

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
                    *(ulong*)(mpart + MockLayout.MaxBatches) != MockLayout.DefaultMaxBatches)
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
    /// One mock partition. Its fields are written by the mock thread; this reads aligned 8-byte values (never the batch
    /// list itself, which the mock frees as it trims) and writes only the cap, which the mock reads on its next append.
    /// </summary>
    private sealed class TrimmedPartition(string topic, int id, IntPtr address)
    {
        /// <summary>End offsets of the last ticks: the headroom is what was appended over <see cref="HeadroomSeconds"/>.</summary>
        private readonly long[] _recentEnds = new long[(int)Math.Ceiling(HeadroomSeconds / TrimInterval.TotalSeconds)];
        private long _ticks;

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
            ulong cap;
            if (uncommitted > MaxTrimmedLag)
            {
                cap = MockLayout.LaggingMaxBatches;
            }
            else
            {
                var messagesPerBatch = Math.Max(1.0, (end - start) / (double)batches);
                var keep = uncommitted + (long)Math.Ceiling(2.0 * headroom / messagesPerBatch) + MinBatchesKept;
                cap = (ulong)Math.Clamp(keep, MinBatchesKept, (long)MockLayout.LaggingMaxBatches);
            }

            Volatile.Write(ref *(ulong*)(at + MockLayout.MaxBatches), cap);
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
