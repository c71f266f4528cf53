namespace FraudStream.Features;

/// <summary>Approximate memory held by feature state (object layouts estimated, not measured by the GC).</summary>
public readonly record struct MemoryReport(int Cards, long CardBytes, int Merchants, int Devices, long GraphBytes)
{
    public long BytesPerCard => Cards == 0 ? 0 : CardBytes / Cards;
}
