using System.Numerics;
using System.Runtime.Intrinsics;

namespace FraudStream.Features.Graph;

/// <summary>
/// Approximate distinct count over the last 24 hours in bounded memory: one 64-register HyperLogLog
/// sketch per clock hour (24 of them in a ring) and a cached union of the 23 hours before the current
/// one. The window is the current clock hour plus the 23 before it. Small counts use linear counting
/// and are near exact; large ones carry about 13% error. Not thread-safe: the owner locks.
/// </summary>
internal sealed class HourlyDistinctCounter
{
    private const int Registers = 64;
    private const int Hours = 24;
    private const double Alpha = 0.709;
    private static readonly double[] InversePowers = BuildInversePowers();

    // Hours x Registers sketches, then one more block holding the cached union of the other hours.
    private readonly byte[] _registers = new byte[(Hours + 1) * Registers];
    private readonly long[] _bucketHour = new long[Hours];
    private long _currentHour = long.MinValue;
    private double _estimate = double.NaN; // cached until a register or the hour changes

    public HourlyDistinctCounter()
    {
        Array.Fill(_bucketHour, long.MinValue);
    }

    public static long ApproximateBytes => 24 + ((Hours + 1) * Registers) + 24 + (Hours * 8) + 32;

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
        if (_bucketHour[slot] != hour)
        {
            _registers.AsSpan(slot * Registers, Registers).Clear();
            _bucketHour[slot] = hour;
        }

        // Rebuild the union of the other hours still inside the window; once an hour, so cheap.
        var union = _registers.AsSpan(Hours * Registers, Registers);
        union.Clear();
        for (var i = 0; i < Hours; i++)
        {
            if (i == slot || _bucketHour[i] <= hour - Hours || _bucketHour[i] == long.MinValue)
            {
                continue;
            }

            MaxInto(union, _registers.AsSpan(i * Registers, Registers));
        }
    }

    public void Add(ulong hash)
    {
        var slot = (int)(_currentHour % Hours);
        var index = (int)(hash & (Registers - 1));
        var rest = hash >> 6;
        var rank = (byte)Math.Min(BitOperations.LeadingZeroCount(rest) - 6 + 1, 58);
        ref var register = ref _registers[(slot * Registers) + index];
        if (rank > register)
        {
            register = rank;
            _estimate = double.NaN;
        }
    }

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

        var current = _registers.AsSpan((int)(_currentHour % Hours) * Registers, Registers);
        var union = _registers.AsSpan(Hours * Registers, Registers);
        double sum = 0;
        var zeros = 0;
        for (var i = 0; i < Registers; i++)
        {
            var r = Math.Max(current[i], union[i]);
            sum += InversePowers[r];
            if (r == 0)
            {
                zeros++;
            }
        }

        var estimate = Alpha * Registers * Registers / sum;
        if (estimate <= 2.5 * Registers && zeros > 0)
        {
            estimate = Registers * Math.Log((double)Registers / zeros);
        }

        _estimate = estimate;
        return estimate;
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
}
