namespace FraudStream.Core.Contracts;

/// <summary>Topic names of the contracts; one place so producers and consumers cannot drift.</summary>
public static class Topics
{
    public const string Transactions = "transactions";
    public const string Decisions = "decisions";
    public const string Labels = "labels";
    public const string DeadLetters = "transactions.dlq";

    public static readonly IReadOnlyList<string> All = [Transactions, Decisions, Labels, DeadLetters];
}
