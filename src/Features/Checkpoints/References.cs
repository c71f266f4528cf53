using FraudStream.Features.Engine;
using FraudStream.Features.Graph;

namespace FraudStream.Features.Checkpoints;

/// <summary>
/// How a checkpoint names the objects that state shares: a card's visits and the label index point at merchant
/// nodes, the index at cards. A merchant the graph holds, and a card an engine holds, are named by their hash
/// (restored, they are looked up: the same object again). An expired one that something still points to is kept
/// alive by that pointer alone, so it is written out in full where it is first met: a merchant under its orphan
/// id, which checkpoints written apart (the graph's, each engine's) share; an expired card, which only the index
/// holds, by its position among those of this checkpoint.
/// </summary>
internal static class ReferenceTag
{
    public const byte None = 0;

    /// <summary>Held by the graph (merchant) or by an engine (card); for a merchant, its hash is the one the holder already wrote.</summary>
    public const byte Held = 1;

    /// <summary>Expired, first met here: its state follows.</summary>
    public const byte ExpiredFirst = 2;

    /// <summary>Expired, written earlier: its id (merchant) or position (card) follows.</summary>
    public const byte ExpiredAgain = 3;

    /// <summary>Held by the graph, under a hash other than the one the holder wrote: the hash follows.</summary>
    public const byte HeldOtherHash = 4;
}

/// <summary>
/// The names given while one checkpoint is written (see <see cref="ReferenceTag"/>). Written from live state (the
/// default), a card is held when an engine holds it now and a merchant when the graph does; written from a snapshot
/// while the engines run on, as of the capture: a card expired since (<see cref="CardState.WasInEngineAt"/>) and a
/// merchant expired since (an orphan id handed out after the capture's last one) are still held.
/// </summary>
internal sealed class ReferenceWriter(long captureEpoch = long.MaxValue, long lastOrphanIdAtCapture = long.MaxValue)
{
    private readonly HashSet<long> _expiredMerchants = [];
    private readonly Dictionary<CardState, int> _expiredCards = new(ReferenceEqualityComparer.Instance);

    private bool IsOrphan(MerchantNode node)
    {
        var orphanId = node.OrphanId;
        return orphanId != 0 && orphanId <= lastOrphanIdAtCapture;
    }

    private bool IsHeld(CardState card) => captureEpoch == long.MaxValue ? card.IsInEngine : card.WasInEngineAt(captureEpoch);

    /// <summary><paramref name="knownHash"/>: the merchant hash the caller wrote beside the reference (0 when none).</summary>
    public void WriteMerchant(ref CheckpointWriter writer, MerchantNode? node, ulong knownHash)
    {
        if (node is null)
        {
            writer.WriteByte(ReferenceTag.None);
        }
        else if (!IsOrphan(node))
        {
            if (node.Hash == knownHash)
            {
                writer.WriteByte(ReferenceTag.Held);
            }
            else
            {
                writer.WriteByte(ReferenceTag.HeldOtherHash);
                writer.WriteUInt64(node.Hash);
            }
        }
        else if (_expiredMerchants.Add(node.OrphanId))
        {
            writer.WriteByte(ReferenceTag.ExpiredFirst);
            writer.WriteVarInt(node.OrphanId);
            node.WriteCheckpoint(ref writer);
        }
        else
        {
            writer.WriteByte(ReferenceTag.ExpiredAgain);
            writer.WriteVarInt(node.OrphanId);
        }
    }

    /// <summary>A card the label index points to.</summary>
    public void WriteIndexedCard(ref CheckpointWriter writer, CardState card)
    {
        if (IsHeld(card))
        {
            writer.WriteByte(ReferenceTag.Held);
            writer.WriteUInt64(card.Hash);
        }
        else if (_expiredCards.TryGetValue(card, out var position))
        {
            writer.WriteByte(ReferenceTag.ExpiredAgain);
            writer.WriteCount(position);
        }
        else
        {
            _expiredCards.Add(card, _expiredCards.Count);
            writer.WriteByte(ReferenceTag.ExpiredFirst);
            card.WriteCheckpoint(ref writer, this);
        }
    }
}

/// <summary>Resolves the names of <see cref="ReferenceWriter"/> while one checkpoint is read, against the graph restored into.</summary>
internal sealed class ReferenceReader(MerchantGraph graph)
{
    private readonly List<CardState> _expiredCards = [];

    public FeatureOptions Options => graph.Options;

    public MerchantNode? ReadMerchant(ref CheckpointReader reader, ulong knownHash)
    {
        switch (reader.ReadByte())
        {
            case ReferenceTag.None:
                return null;
            case ReferenceTag.Held:
                return graph.Merchant(knownHash);
            case ReferenceTag.HeldOtherHash:
                return graph.Merchant(reader.ReadUInt64());
            case ReferenceTag.ExpiredFirst:
                {
                    var orphanId = reader.ReadVarInt();
                    var node = MerchantNode.ReadCheckpoint(ref reader);
                    node.OrphanId = orphanId;

                    // Another checkpoint of this graph (the graph's, another engine's) may have brought it already.
                    return graph.AdoptOrphan(node);
                }

            case ReferenceTag.ExpiredAgain:
                {
                    var orphanId = reader.ReadVarInt();
                    return graph.FindOrphan(orphanId)
                        ?? CheckpointReader.ThrowMalformed<MerchantNode>($"expired merchant {orphanId} is named before it is written");
                }

            default:
                return CheckpointReader.ThrowMalformed<MerchantNode>("unknown merchant reference");
        }
    }

    public CardState ReadIndexedCard(ref CheckpointReader reader)
    {
        switch (reader.ReadByte())
        {
            case ReferenceTag.Held:
                return graph.AwaitEngineCard(reader.ReadUInt64());
            case ReferenceTag.ExpiredFirst:
                {
                    var card = CardState.ForRestore(reader.ReadUInt64());
                    card.ReadCheckpoint(ref reader, this);
                    _expiredCards.Add(card);
                    return card;
                }

            case ReferenceTag.ExpiredAgain:
                {
                    var position = reader.ReadCount();
                    return position < _expiredCards.Count
                        ? _expiredCards[position]
                        : CheckpointReader.ThrowMalformed<CardState>($"expired card {position} is named before it is written");
                }

            default:
                return CheckpointReader.ThrowMalformed<CardState>("unknown card reference");
        }
    }
}
