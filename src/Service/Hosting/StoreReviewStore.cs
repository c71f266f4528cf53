using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Dashboard.Reviews;
using FraudStream.Pipeline.Hosting;
using FraudStream.Storage;
using FraudStream.Storage.Records;

namespace FraudStream.Service.Hosting;

/// <summary>
/// The dashboard's review queue on the store: a mark closes the item, stores the label and publishes it to <c>labels</c>
/// through the decision service's producer. Wiring between the dashboard, the store and the pipeline, so it lives here.
/// </summary>
public sealed class StoreReviewStore(FraudStore store, DecisionService service) : IReviewStore
{
    public async Task<IReadOnlyList<ReviewItem>> GetOpenAsync(int limit, CancellationToken cancellationToken)
    {
        var rows = await store.GetOpenReviewsAsync(limit, cancellationToken);
        var items = new List<ReviewItem>(rows.Count);
        foreach (var r in rows)
        {
            items.Add(new ReviewItem
            {
                Id = r.Id,
                Time = new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)),
                Card = CardIdentifier.Mask(r.Card),
                Merchant = r.Merchant,
                Amount = r.Amount,
                Currency = r.Currency,
                Score = r.Score,
                Reasons = r.Reasons.Length == 0 ? [] : r.Reasons.Split('|'),
            });
        }

        return items;
    }

    public async Task<ReviewMarkResult> MarkAsync(string id, bool fraud, string analyst, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var outcome = await store.MarkReviewAsync(id, fraud, analyst, now, cancellationToken);
        if (outcome != ReviewMarkOutcome.Marked)
        {
            return outcome == ReviewMarkOutcome.NotFound ? ReviewMarkResult.NotFound : ReviewMarkResult.AlreadyMarked;
        }

        // The label also goes to the stream, where the merchant graph learns from it like any chargeback.
        await service.PublishLabelAsync(new Label(id, fraud, now), cancellationToken);
        return ReviewMarkResult.Marked;
    }
}
