using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FraudStream.Features.Common;

/// <summary>
/// Software prefetch: asks for a cache line that will be read shortly, without waiting for it. The
/// engine's state is far larger than the cache, so each transaction meets several cold lines (its
/// card, merchant, device, index slot); prefetching them all as soon as their addresses are known
/// overlaps those misses instead of taking them one after another. A prefetch never faults and never
/// changes a value, so a stale address (an object the GC has since moved) only wastes the hint.
/// </summary>
internal static unsafe class Prefetch
{
    private const int LineBytes = 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Line<T>(ref readonly T location)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.AsRef(in location)));
        }
    }

    /// <summary>Prefetches <paramref name="bytes"/> bytes from <paramref name="location"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines<T>(ref readonly T location, int bytes)
    {
        if (Sse.IsSupported)
        {
            var start = (byte*)Unsafe.AsPointer(ref Unsafe.AsRef(in location));
            for (var offset = 0; offset < bytes; offset += LineBytes)
            {
                Sse.Prefetch0(start + offset);
            }
        }
    }

    /// <summary>Prefetches the start of a string's characters (ids are short: one or two lines).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Text(string? text)
    {
        if (text is not null)
        {
            Line(in text.GetPinnableReference());
        }
    }

    /// <summary>Prefetches the first <paramref name="bytes"/> bytes of an object's fields.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Object(object instance, int bytes) => Lines(in Unsafe.As<RawObject>(instance).FirstByte, bytes);

    // The layout every object shares after its method table pointer: used to find where its fields
    // start (never instantiated; objects of other types are only viewed through it).
#pragma warning disable CS0649
    private sealed class RawObject
    {
        public byte FirstByte;
    }
#pragma warning restore CS0649
}
