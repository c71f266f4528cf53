using System.Collections.Concurrent;
using FraudStream.Dashboard.Reviews;

namespace FraudStream.Dashboard.Tests.TestDoubles;

/// <summary>Test double for the database-backed review queue: open items in memory, marks recorded.</summary>
internal sealed class InMemoryReviewStore : IReviewStore
{
    private readonly ConcurrentDictionary<string, ReviewItem> _open = new();
    private readonly ConcurrentDictionary<string, RecordedMark> _marks = new();

    public IReadOnlyDictionary<string, RecordedMark> Marks => _marks;

    public void Add(ReviewItem item) => _open[item.Id] = item;

    public Task<IReadOnlyList<ReviewItem>> GetOpenAsync(int limit, CancellationToken cancellationToken)
    {
        IReadOnlyList<ReviewItem> items = _open.Values.OrderBy(i => i.Time).Take(limit).ToList();
        return Task.FromResult(items);
    }

    public Task<ReviewMarkResult> MarkAsync(string id, bool fraud, string analyst, CancellationToken cancellationToken)
    {
        if (_marks.ContainsKey(id))
        {
            return Task.FromResult(ReviewMarkResult.AlreadyMarked);
        }

        if (!_open.TryRemove(id, out _))
        {
            return Task.FromResult(ReviewMarkResult.NotFound);
        }

        _marks[id] = new RecordedMark(fraud, analyst);
        return Task.FromResult(ReviewMarkResult.Marked);
    }

    public sealed record RecordedMark(bool Fraud, string Analyst);
}
