using System.Numerics;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// A faster 64-bit hash for ids that are only compared for equality (merchants, devices,
    /// categories, countries): it reads four UTF-16 code units per step where
    /// <see cref="Of"/> reads one, and finishes with the same mixer. Never for a value whose bits feed
    /// a feature: cards keep <see cref="Of"/>, whose bits fill the HyperLogLog registers, and so do
    /// transaction ids, whose bits pick the label-index stripe (and so which entries it still holds). 0 means absent.
    /// </summary>
    public static ulong OfId(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        var chars = value.AsSpan();
        var blocks = MemoryMarshal.Cast<char, ulong>(chars);
        var hash = 0x9E3779B97F4A7C15UL ^ (ulong)chars.Length;
        foreach (var block in blocks)
        {
            hash = BitOperations.RotateLeft(hash ^ (block * 0xC2B2AE3D27D4EB4FUL), 31) * 0x9E3779B97F4A7C15UL;
        }

        for (var i = blocks.Length * 4; i < chars.Length; i++)
        {
            hash = BitOperations.RotateLeft(hash ^ (chars[i] * 0xC2B2AE3D27D4EB4FUL), 31) * 0x9E3779B97F4A7C15UL;
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
