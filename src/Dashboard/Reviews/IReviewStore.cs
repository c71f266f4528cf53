namespace FraudStream.Dashboard.Reviews;

/// <summary>
/// The analysts' review queue. The service implements it on its database: marking stores a label and
/// publishes it to the labels topic. Implementations must be safe to call from concurrent requests.
/// </summary>
public interface IReviewStore
{
    /// <summary>Open items, oldest first, at most <paramref name="limit"/>. Card ids already masked.</summary>
    Task<IReadOnlyList<ReviewItem>> GetOpenAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Marks an open item as fraud or legitimate on behalf of <paramref name="analyst"/>.</summary>
    Task<ReviewMarkResult> MarkAsync(string id, bool fraud, string analyst, CancellationToken cancellationToken);
}

/// <summary>A transaction the rules sent to review.</summary>
public sealed record ReviewItem
{
    public required string Id { get; init; }

    public DateTimeOffset Time { get; init; }

    /// <summary>Masked card id; the API masks again anything that still looks like a card number.</summary>
    public required string Card { get; init; }

    public string Merchant { get; init; } = "";

    public decimal Amount { get; init; }

    public string Currency { get; init; } = "";

    /// <summary>Null when no model scored it (model unavailable); the page shows "—".</summary>
    public double? Score { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];
}

public enum ReviewMarkResult
{
    NotFound = 0,
    AlreadyMarked = 1,
    Marked = 2,
}
