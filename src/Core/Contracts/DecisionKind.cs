namespace FraudStream.Core.Contracts;

/// <summary>The three outcomes. Numeric order is severity, which rule precedence relies on.</summary>
public enum DecisionKind : byte
{
    Approve = 0,
    Review = 1,
    Decline = 2,
}

public static class DecisionKindNames
{
    public static string ToWire(this DecisionKind kind) => kind switch
    {
        DecisionKind.Approve => "approve",
        DecisionKind.Review => "review",
        DecisionKind.Decline => "decline",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown decision"),
    };

    public static bool TryParse(string? text, out DecisionKind kind)
    {
        switch (text)
        {
            case "approve": kind = DecisionKind.Approve; return true;
            case "review": kind = DecisionKind.Review; return true;
            case "decline": kind = DecisionKind.Decline; return true;
            default: kind = default; return false;
        }
    }
}
