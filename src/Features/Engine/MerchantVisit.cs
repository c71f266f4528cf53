using FraudStream.Features.Graph;

namespace FraudStream.Features.Engine;

/// <summary>One merchant a card has used: when first and last, and the shared node for two-hop features.</summary>
internal struct MerchantVisit
{
    public ulong MerchantHash;
    public long FirstTicks;
    public long LastTicks;
    public MerchantNode? Node;
}
