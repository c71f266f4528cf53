using System.Runtime.CompilerServices;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Graph;

/// <summary>
/// Every device of the graph with its state inline: the last few cards seen on it and when. Devices
/// are many and mostly cold, so a lookup should cost one cache miss, not a slot, a node and a lock
/// object. Split into segments by the top bits of the device hash, each an open-addressing table
/// (a dense hash array to probe, a parallel state array) under its own lock; every read, update,
/// growth and expiry of a device happens under its segment's lock, so state can move freely.
/// </summary>
internal sealed class DeviceTable
{
    private const int SegmentBits = 6;
    private readonly Segment[] _segments = new Segment[1 << SegmentBits];

    public DeviceTable()
    {
        for (var i = 0; i < _segments.Length; i++)
        {
            _segments[i] = new Segment();
        }
    }

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var segment in _segments)
            {
                count += Volatile.Read(ref segment.Count);
            }

            return count;
        }
    }

    public long ApproximateBytes
    {
        get
        {
            long bytes = 0;
            foreach (var segment in _segments)
            {
                bytes += 64 + (Volatile.Read(ref segment.Capacity) * (8L + Unsafe.SizeOf<DeviceState>()));
            }

            return bytes;
        }
    }

    /// <summary>Starts loading the slot (hash and state) a lookup of <paramref name="deviceHash"/> reads first. Takes no lock: only a hint.</summary>
    public void Prefetch(ulong deviceHash) => _segments[(int)(deviceHash >> (64 - SegmentBits))].Prefetch(deviceHash);

    /// <summary>
    /// Distinct cards seen on the device (hash <paramref name="deviceHash"/>, never 0) in the 24 h
    /// before <paramref name="now"/>, then records this card; adds the device if new.
    /// </summary>
    public float ReadAndUpdate(ulong deviceHash, long now, ulong cardHash)
    {
        var segment = _segments[(int)(deviceHash >> (64 - SegmentBits))];
        segment.Gate.Enter();
        try
        {
            ref var device = ref segment.FindOrAdd(deviceHash);
            now = Math.Max(now, device.LastTicks);
            var cutoff = now - TimeSpan.TicksPerDay;
            var distinct = 0;
            var found = -1;
            var oldest = 0;
            for (var i = 0; i < device.Count; i++)
            {
                if (device.CardTicks[i] > cutoff)
                {
                    distinct++;
                }

                if (device.Cards[i] == cardHash)
                {
                    found = i;
                }

                if (device.CardTicks[i] < device.CardTicks[oldest])
                {
                    oldest = i;
                }
            }

            var slot = found >= 0 ? found : device.Count < DeviceState.Slots ? device.Count++ : oldest;
            device.Cards[slot] = cardHash;
            device.CardTicks[slot] = now;
            device.LastTicks = now;
            return distinct;
        }
        finally
        {
            segment.Gate.Exit();
        }
    }

    /// <summary>Removes the devices idle since before <paramref name="cutoff"/>; returns how many.</summary>
    public int RemoveIdle(long cutoff)
    {
        var removed = 0;
        foreach (var segment in _segments)
        {
            segment.Gate.Enter();
            try
            {
                removed += segment.RemoveIdle(cutoff);
            }
            finally
            {
                segment.Gate.Exit();
            }
        }

        return removed;
    }

    /// <summary>Appends every device's latest activity (for the cap's cutoff; sweep only).</summary>
    public void AddActivity(List<long> into)
    {
        foreach (var segment in _segments)
        {
            segment.Gate.Enter();
            try
            {
                segment.AddActivity(into);
            }
            finally
            {
                segment.Gate.Exit();
            }
        }
    }

    /// <summary>Every device, segment by segment, each segment's ordered by hash (the same devices give the same bytes).</summary>
    public void WriteCheckpoint(ref CheckpointWriter writer)
    {
        foreach (var segment in _segments)
        {
            segment.WriteCheckpoint(ref writer);
        }
    }

    /// <summary>The groups of segments <see cref="CaptureInto"/> copies, each on any thread.</summary>
    public const int CaptureGroups = 8;

    /// <summary>
    /// Copies the devices of one of the <see cref="CaptureGroups"/> groups of segments into <paramref name="snapshot"/>
    /// (one packed copy per segment, reused): groups touch disjoint segments, so threads may copy them at once. Only while
    /// nothing updates a device.
    /// </summary>
    public void CaptureInto(Snapshot snapshot, int group)
    {
        const int perGroup = (1 << SegmentBits) / CaptureGroups;
        for (var i = group * perGroup; i < (group + 1) * perGroup; i++)
        {
            _segments[i].CaptureInto(snapshot.Segments[i] ??= new SegmentCopy());
        }
    }

    /// <summary>A private copy of the devices (<see cref="CaptureInto"/>), written later as <see cref="WriteCheckpoint"/> would have.</summary>
    internal sealed class Snapshot
    {
        public readonly SegmentCopy[] Segments = new SegmentCopy[1 << SegmentBits];

        public long CopiedBytes
        {
            get
            {
                long bytes = 0;
                foreach (var segment in Segments)
                {
                    bytes += segment is null ? 0 : segment.Hashes.Length * (12L + Unsafe.SizeOf<DeviceState>());
                }

                return bytes;
            }
        }

        public void Write(ref CheckpointWriter writer)
        {
            foreach (var segment in Segments)
            {
                Segment.WriteSorted(ref writer, segment.Hashes, segment.Order, segment.States, segment.Count);
            }
        }
    }

    /// <summary>One segment's devices, packed (hash, order, state), for a snapshot.</summary>
    internal sealed class SegmentCopy
    {
        public ulong[] Hashes = [];
        public int[] Order = [];
        public DeviceState[] States = [];
        public int Count;
    }

    /// <summary>Fills an empty table from <see cref="WriteCheckpoint"/>'s bytes.</summary>
    public void ReadCheckpoint(ref CheckpointReader reader)
    {
        for (var i = 0; i < _segments.Length; i++)
        {
            _segments[i].ReadCheckpoint(ref reader, i);
        }
    }

    /// <summary>One device: the last <see cref="Slots"/> cards seen on it and when.</summary>
    internal struct DeviceState
    {
        public const int Slots = 8;

        public long LastTicks;
        public int Count;
        public DeviceCards Cards;
        public DeviceTicks CardTicks;
    }

    [InlineArray(DeviceState.Slots)]
    internal struct DeviceCards
    {
        private ulong _element;
    }

    [InlineArray(DeviceState.Slots)]
    internal struct DeviceTicks
    {
        private long _element;
    }

    /// <summary>Linear probing over <see cref="_hashes"/> (0 = empty); <see cref="_states"/> runs parallel. Used under <see cref="Gate"/>.</summary>
    private sealed class Segment
    {
        private const int InitialCapacity = 64;

        public Common.SpinGate Gate; // a field: used in place
        public int Count;
        public int Capacity = InitialCapacity;
        private ulong[] _hashes = new ulong[InitialCapacity];
        private DeviceState[] _states = new DeviceState[InitialCapacity];

        public void Prefetch(ulong hash)
        {
            var hashes = _hashes;
            var states = _states;
            if (hashes.Length == states.Length) // a resize may be swapping them right now
            {
                var i = (int)hash & (hashes.Length - 1);
                Common.Prefetch.Line(in hashes[i]);
                Common.Prefetch.Lines(in states[i], Unsafe.SizeOf<DeviceState>());
            }
        }

        public ref DeviceState FindOrAdd(ulong hash)
        {
            var mask = _hashes.Length - 1;
            var i = (int)hash & mask;
            for (; _hashes[i] != 0; i = (i + 1) & mask)
            {
                if (_hashes[i] == hash)
                {
                    return ref _states[i];
                }
            }

            if ((Count + 1) * 2 > _hashes.Length)
            {
                Resize(_hashes.Length * 2);
                return ref FindOrAdd(hash);
            }

            _hashes[i] = hash;
            _states[i] = new DeviceState { LastTicks = long.MinValue };
            Volatile.Write(ref Count, Count + 1);
            return ref _states[i];
        }

        public void AddActivity(List<long> into)
        {
            for (var i = 0; i < _hashes.Length; i++)
            {
                if (_hashes[i] != 0)
                {
                    into.Add(_states[i].LastTicks);
                }
            }
        }

        public int RemoveIdle(long cutoff)
        {
            var idle = 0;
            for (var i = 0; i < _hashes.Length; i++)
            {
                if (_hashes[i] != 0 && _states[i].LastTicks < cutoff)
                {
                    _hashes[i] = 0;
                    idle++;
                }
            }

            if (idle > 0)
            {
                Resize(_hashes.Length); // re-place the survivors: the holes would cut probe runs
                Volatile.Write(ref Count, Count - idle);
            }

            return idle;
        }

        public void WriteCheckpoint(ref CheckpointWriter writer)
        {
            var hashes = new ulong[Count];
            var slots = new int[Count];
            var n = 0;
            for (var i = 0; i < _hashes.Length; i++)
            {
                if (_hashes[i] != 0)
                {
                    hashes[n] = _hashes[i];
                    slots[n] = i;
                    n++;
                }
            }

            WriteSorted(ref writer, hashes, slots, _states, n);
        }

        /// <summary>Copies the devices, packed, into <paramref name="copy"/> (its arrays reused when large enough).</summary>
        public void CaptureInto(SegmentCopy copy)
        {
            if (copy.Hashes.Length < Count)
            {
                var length = Math.Max(Count, copy.Hashes.Length * 2);
                copy.Hashes = new ulong[length];
                copy.Order = new int[length];
                copy.States = new DeviceState[length];
            }

            var n = 0;
            for (var i = 0; i < _hashes.Length; i++)
            {
                if (_hashes[i] != 0)
                {
                    copy.Hashes[n] = _hashes[i];
                    copy.Order[n] = n;
                    copy.States[n] = _states[i];
                    n++;
                }
            }

            copy.Count = n;
        }

        /// <summary>The first <paramref name="n"/> devices in hash order (sorts <paramref name="hashes"/> and <paramref name="slots"/> in place).</summary>
        public static void WriteSorted(ref CheckpointWriter writer, ulong[] hashes, int[] slots, DeviceState[] states, int n)
        {
            Array.Sort(hashes, slots, 0, n);
            writer.WriteCount(n);
            for (var j = 0; j < n; j++)
            {
                ref readonly var device = ref states[slots[j]];
                writer.WriteUInt64(hashes[j]);
                writer.WriteInt64(device.LastTicks);
                writer.WriteCount(device.Count);
                for (var k = 0; k < device.Count; k++)
                {
                    writer.WriteUInt64(device.Cards[k]);
                    writer.WriteVarInt(unchecked(device.LastTicks - device.CardTicks[k]));
                }
            }
        }

        public void ReadCheckpoint(ref CheckpointReader reader, int segmentIndex)
        {
            var count = reader.ReadLength();
            var capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(InitialCapacity, (count * 2) + 2));
            if (capacity > _hashes.Length)
            {
                Resize(capacity);
            }

            for (var j = 0; j < count; j++)
            {
                var hash = reader.ReadUInt64();
                if (hash == 0 || (int)(hash >> (64 - SegmentBits)) != segmentIndex)
                {
                    CheckpointReader.ThrowMalformed($"device {hash:x16} does not belong in segment {segmentIndex}");
                }

                var before = Count;
                ref var device = ref FindOrAdd(hash);
                if (Count == before)
                {
                    CheckpointReader.ThrowMalformed($"device {hash:x16} appears twice");
                }

                device.LastTicks = reader.ReadInt64();
                device.Count = reader.ReadCount(DeviceState.Slots);
                for (var k = 0; k < device.Count; k++)
                {
                    device.Cards[k] = reader.ReadUInt64();
                    device.CardTicks[k] = unchecked(device.LastTicks - reader.ReadVarInt());
                }
            }
        }

        private void Resize(int capacity)
        {
            var hashes = _hashes;
            var states = _states;
            _hashes = new ulong[capacity];
            _states = new DeviceState[capacity];
            var mask = capacity - 1;
            for (var j = 0; j < hashes.Length; j++)
            {
                if (hashes[j] == 0)
                {
                    continue;
                }

                var i = (int)hashes[j] & mask;
                while (_hashes[i] != 0)
                {
                    i = (i + 1) & mask;
                }

                _hashes[i] = hashes[j];
                _states[i] = states[j];
            }

            Volatile.Write(ref Capacity, capacity);
        }
    }
}
