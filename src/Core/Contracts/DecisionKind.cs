using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>The three outcomes. Numeric order is severity, which rule precedence relies on.</summary>
public enum DecisionKind : byte
{
    Approve = 0,
    Review = 1,
    Decline = 2,
}

/// <summary>The one mapping between <see cref="DecisionKind"/> and its wire name (JSON, store, rules, reports).</summary>
public static class DecisionKindNames
{
    private static readonly WireNames<DecisionKind> Names =
        new((DecisionKind.Approve, "approve"), (DecisionKind.Review, "review"), (DecisionKind.Decline, "decline"));

    /// <summary>The names for a message: <c>approve, review or decline</c>.</summary>
    public static string Listed => Names.Listed;

    public static string ToWire(this DecisionKind kind) => Names.Name(kind) ?? throw Unknown(kind);

    public static ReadOnlySpan<byte> ToUtf8(this DecisionKind kind)
    {
        var name = Names.Utf8(kind);
        return name.IsEmpty ? throw Unknown(kind) : name;
    }

    public static bool TryParse(string? text, out DecisionKind kind) => Names.TryFind(text, out kind);

    /// <summary>Reads the reader's current string token as a decision, without allocating.</summary>
    public static bool TryRead(ref Utf8JsonReader reader, out DecisionKind kind) => Names.TryFind(ref reader, out kind);

    /// <summary>Whether a stored (wire) decision is <paramref name="kind"/>.</summary>
    public static bool Is(string? text, DecisionKind kind) => TryParse(text, out var parsed) && parsed == kind;

    private static ArgumentOutOfRangeException Unknown(DecisionKind kind) => new(nameof(kind), kind, "unknown decision");
}
