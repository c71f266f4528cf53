namespace FraudStream.Features.Common;

/// <summary>
/// A 64-bit hash that is the same in every process (string.GetHashCode is randomised per process,
/// which would make training runs differ). FNV-1a over UTF-16 code units, then a SplitMix64 finaliser
/// so every bit is usable for HyperLogLog registers.
/// </summary>
public static class StableHash
{
    /// <summary>0 is reserved for "absent"; a real value never hashes to it.</summary>
    public static ulong Of(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }

        hash = Mix(hash);
        return hash == 0 ? 1 : hash;
    }

    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
