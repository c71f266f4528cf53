using System.Buffers.Binary;
using System.Numerics;

namespace FraudStream.Features.Checkpoints;

/// <summary>
/// CRC-32C (Castagnoli) over little-endian 8-byte words, through <see cref="BitOperations.Crc32C(uint, ulong)"/>:
/// one instruction per word where the processor has it (SSE4.2, ARMv8), so checking a few hundred megabytes
/// costs tens of milliseconds. Detects every error burst of up to 32 bits, so any one changed byte.
/// </summary>
internal static class Crc32C
{
    public const uint Seed = uint.MaxValue;

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        }

        for (; i < data.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, data[i]);
        }

        return crc;
    }

    public static uint Finish(uint crc) => ~crc;

    public static uint Of(ReadOnlySpan<byte> data) => Finish(Update(Seed, data));
}
