namespace FraudStream.Ingest.Replay;

/// <summary>
/// A hash that is the same in every process and runtime version (string.GetHashCode is randomised
/// per process), used to derive deterministic times from row content.
/// </summary>
internal static class StableHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes, long salt)
    {
        // FNV-1a over the bytes, then a SplitMix64 finaliser over the salt for good low bits.
        var h = 0xCBF29CE484222325UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 0x100000001B3UL;
        }

        return Mix(h ^ unchecked((ulong)salt * 0x9E3779B97F4A7C15UL));
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
    public static double ToUnit(ulong hash) => (hash >> 11) * (1.0 / (1UL << 53));
}
