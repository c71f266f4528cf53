using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Graph;

/// <summary>
/// Approximate distinct count over the last 24 hours in bounded memory: one 64-register HyperLogLog
/// sketch per clock hour (24 of them in a ring) and a cached union of the 23 hours before the current
/// one. The window is the current clock hour plus the 23 before it. Small counts use linear counting
/// and are near exact; large ones carry about 13% error. Not thread-safe: the owner locks.
/// <para>
/// A struct held inline by its <see cref="MerchantNode"/> (no arrays to chase); always used by
/// reference. The estimate's inputs — the sum of 2^-r over the merged registers max(current, union)
/// and how many are zero — are kept up to date as registers rise, so an estimate reads two fields
/// instead of 64 registers. The sum is kept exactly, as an integer in units of 2^-58 (the largest
/// rank); see <see cref="Estimate"/> for why that gives the same double as adding the terms in order.
/// </para>
/// </summary>
internal struct HourlyDistinctCounter
{
    private const int Registers = 64;
    private const int Hours = 24;
    private const int MaxRank = 58;
    private const double Alpha = 0.709;

    // A double holds 53 bits: with every register at most 47, each partial sum of 2^-r terms (< 64)
    // is a multiple of 2^-47 and so exact; the scaled sum then has its low 58 - 47 bits clear.
    private const int ExactRankLimit = 47;
    private const ulong InexactBits = (1UL << (MaxRank - ExactRankLimit)) - 1;
    private const double UnitOfScaledSum = 1.0 / (1UL << MaxRank);
    private static readonly double[] InversePowers = BuildInversePowers();

    // Hours x Registers sketches, then one more block holding the cached union of the other hours.
    private RegisterBlocks _registers;
    private HourStamps _bucketHour;
    private long _currentHour;
    private ulong _scaledSum; // sum of 2^(58 - r) over the merged registers, mod 2^64 (all zero wraps to 0)
    private int _zeros; // merged registers still 0
    private double _estimate; // cached until a register or the hour changes

    public HourlyDistinctCounter()
    {
        ((Span<long>)_bucketHour).Fill(long.MinValue);
        _currentHour = long.MinValue;
        _estimate = double.NaN;
        _zeros = Registers;
    }

    public static long ApproximateBytes => ((Hours + 1) * Registers) + (Hours * 8) + 32;

    /// <summary>Starts loading what a read and update in <paramref name="hour"/> touch: its block, the union and the counts.</summary>
    public readonly void Prefetch(long hour)
    {
        Common.Prefetch.Line(in _currentHour);
        if (hour > _currentHour)
        {
            // A new hour: Advance reads every hour's block to rebuild the union.
            Common.Prefetch.Lines(in _registers[0], (Hours + 1) * Registers);
            Common.Prefetch.Line(in _bucketHour[0]);
            Common.Prefetch.Line(in _bucketHour[Hours - 1]);
        }
        else
        {
            Common.Prefetch.Line(in _registers[(int)(hour % Hours) * Registers]);
            Common.Prefetch.Line(in _registers[Hours * Registers]);
        }
    }

    /// <summary>Moves the clock to <paramref name="hour"/> (never backwards), clearing hours that left.</summary>
    public void Advance(long hour)
    {
        if (hour <= _currentHour)
        {
            return;
        }

        _currentHour = hour;
        _estimate = double.NaN;
        var slot = (int)(hour % Hours);
        Span<byte> registers = _registers;
        Span<long> bucketHour = _bucketHour;
        if (bucketHour[slot] != hour)
        {
            registers.Slice(slot * Registers, Registers).Clear();
            bucketHour[slot] = hour;
        }

        // Rebuild the union of the other hours still inside the window; once an hour, so cheap.
        var union = registers.Slice(Hours * Registers, Registers);
        if (Vector512.IsHardwareAccelerated)
        {
            // One 64-byte block is one register: a whole sketch per instruction.
            var max = Vector512<byte>.Zero;
            for (var i = 0; i < Hours; i++)
            {
                if (i != slot && bucketHour[i] > hour - Hours && bucketHour[i] != long.MinValue)
                {
                    max = Vector512.Max(max, Vector512.Create(registers.Slice(i * Registers, Registers)));
                }
            }

            max.CopyTo(union);
        }
        else
        {
            union.Clear();
            for (var i = 0; i < Hours; i++)
            {
                if (i == slot || bucketHour[i] <= hour - Hours || bucketHour[i] == long.MinValue)
                {
                    continue;
                }

                MaxInto(union, registers.Slice(i * Registers, Registers));
            }
        }

        // The current hour was just cleared, so the merged registers are the union's. Two sums
        // (even and odd registers) halve the chain of dependent adds; integer adds are exact in any order.
        ulong evenSum = 0;
        ulong oddSum = 0;
        var zeros = 0;
        for (var i = 0; i < Registers; i += 2)
        {
            var even = union[i];
            var odd = union[i + 1];
            evenSum += 1UL << (MaxRank - even);
            oddSum += 1UL << (MaxRank - odd);
            zeros += (even == 0 ? 1 : 0) + (odd == 0 ? 1 : 0);
        }

        _scaledSum = evenSum + oddSum;
        _zeros = zeros;
    }

    public void Add(ulong hash)
    {
        var slot = (int)(_currentHour % Hours);
        var index = (int)(hash & (Registers - 1));
        var rest = hash >> 6;
        var rank = (byte)Math.Min(BitOperations.LeadingZeroCount(rest) - 6 + 1, MaxRank);
        ref var register = ref _registers[(slot * Registers) + index];
        if (rank <= register)
        {
            return;
        }

        var union = _registers[(Hours * Registers) + index];
        var mergedBefore = Math.Max(register, union);
        register = rank;
        _estimate = double.NaN;
        if (rank > mergedBefore)
        {
            // Wrapping arithmetic: exact whenever the true sum is below 2^64, i.e. not all zero.
            _scaledSum = _scaledSum - (1UL << (MaxRank - mergedBefore)) + (1UL << (MaxRank - rank));
            if (mergedBefore == 0)
            {
                _zeros--;
            }
        }
    }

    /// <summary>
    /// The HyperLogLog estimate. The sum of 2^-r is the scaled integer sum times 2^-58: while every
    /// merged register is at most 47 that is exactly the double that adding the 64 terms in register
    /// order gives (each partial sum is exact); otherwise (odds about 2^-46 per register) the terms are
    /// added in order as before.
    /// </summary>
    public double Estimate()
    {
        if (_currentHour == long.MinValue)
        {
            return 0;
        }

        if (!double.IsNaN(_estimate))
        {
            return _estimate;
        }

        double sum;
        if (_zeros == Registers)
        {
            sum = Registers; // every term is 2^0; the scaled sum wrapped to 0
        }
        else if ((_scaledSum & InexactBits) == 0)
        {
            sum = _scaledSum * UnitOfScaledSum;
        }
        else
        {
            sum = SumInRegisterOrder();
        }

        var estimate = Alpha * Registers * Registers / sum;
        if (estimate <= 2.5 * Registers && _zeros > 0)
        {
            estimate = Registers * Math.Log((double)Registers / _zeros);
        }

        _estimate = estimate;
        return estimate;
    }

    /// <summary>Every field as it is: the registers of all hours and the union, their hours, the running sums, the cached estimate.</summary>
    public readonly void WriteCheckpoint(ref CheckpointWriter writer)
    {
        writer.WriteBytes(_registers);
        for (var i = 0; i < Hours; i++)
        {
            writer.WriteInt64(_bucketHour[i]);
        }

        writer.WriteInt64(_currentHour);
        writer.WriteUInt64(_scaledSum);
        writer.WriteCount(_zeros);
        writer.WriteDouble(_estimate);
    }

    public void ReadCheckpoint(ref CheckpointReader reader)
    {
        reader.ReadBytes(_registers);
        for (var i = 0; i < Hours; i++)
        {
            _bucketHour[i] = reader.ReadInt64();
        }

        _currentHour = reader.ReadInt64();
        _scaledSum = reader.ReadUInt64();
        _zeros = reader.ReadCount(Registers);
        _estimate = reader.ReadDouble();
    }

    private readonly double SumInRegisterOrder()
    {
        ReadOnlySpan<byte> registers = _registers;
        var current = registers.Slice((int)(_currentHour % Hours) * Registers, Registers);
        var union = registers.Slice(Hours * Registers, Registers);
        double sum = 0;
        for (var i = 0; i < Registers; i++)
        {
            sum += InversePowers[Math.Max(current[i], union[i])];
        }

        return sum;
    }

    private static void MaxInto(Span<byte> target, ReadOnlySpan<byte> source)
    {
        for (var i = 0; i < Registers; i += Vector128<byte>.Count)
        {
            var a = Vector128.Create(target.Slice(i, Vector128<byte>.Count));
            var b = Vector128.Create(source.Slice(i, Vector128<byte>.Count));
            Vector128.Max(a, b).CopyTo(target.Slice(i, Vector128<byte>.Count));
        }
    }

    private static double[] BuildInversePowers()
    {
        var table = new double[64];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = Math.Pow(2, -i);
        }

        return table;
    }

    [InlineArray((Hours + 1) * Registers)]
    private struct RegisterBlocks
    {
        private byte _element;
    }

    [InlineArray(Hours)]
    private struct HourStamps
    {
        private long _element;
    }
}
