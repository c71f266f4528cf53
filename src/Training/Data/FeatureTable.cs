using System.Security.Cryptography;
using FraudStream.Features;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;

namespace FraudStream.Training.Data;

/// <summary>
/// Feature rows computed by replaying history in time order through the same <see cref="FeatureReplay"/>
/// the service uses (labels take effect only once reported), with each row's truth and time.
/// </summary>
public sealed class FeatureTable
{
    private readonly List<float> _values = [];
    private readonly List<bool> _labels = [];
    private readonly List<long> _ticks = [];
    private List<bool>? _observed;

    public int Count => _labels.Count;

    public int Width => FeatureSchema.Count;

    public int Frauds { get; private set; }

    /// <summary>Transactions replayed only to warm the state (before the first recorded row).</summary>
    public int WarmupRows { get; private set; }

    public ReadOnlySpan<float> Row(int index) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_values).Slice(index * FeatureSchema.Count, FeatureSchema.Count);

    public bool Label(int index) => _labels[index];

    public DateTime Time(int index) => new(_ticks[index], DateTimeKind.Utc);

    /// <summary>Whether <see cref="Build"/> kept the labels a file would carry beside the truth (<c>observeLabels</c>).</summary>
    public bool HasObservedLabels => _observed is not null;

    /// <summary>
    /// The row's label as a file of this history would carry it: its last label line (none: legitimate). Differs from
    /// <see cref="Label"/> only where the source knows the truth (the simulator, whose labels carry noise and may be missing).
    /// </summary>
    public bool ObservedLabel(int index) => _observed is { } observed ? observed[index] : _labels[index];

    /// <summary>
    /// Replays <paramref name="history"/>; rows at or after <paramref name="recordFromBoundary"/> (all when null)
    /// are recorded, earlier ones only warm the state; a row at or after <paramref name="stopAtBoundary"/> ends the replay (the label lines
    /// after it still give the truth of the rows before it). A row without a known truth takes that of its label line (the last one;
    /// none: legitimate). <paramref name="onRow"/> sees each
    /// recorded transaction with its features (the rules hook uses it). <paramref name="observeLabels"/> also keeps each row's
    /// <see cref="ObservedLabel"/> (evaluation against the labels as well as the truth).
    /// </summary>
    public static FeatureTable Build(
        IEnumerable<HistoryEvent> history, TimeBoundary? recordFromBoundary = null, TimeBoundary? stopAtBoundary = null,
        FeatureOptions? options = null, Action<int, Core.Contracts.Transaction, float[]>? onRow = null, DateTime? stepOrigin = null,
        bool observeLabels = false)
    {
        ArgumentNullException.ThrowIfNull(history);
        var table = new FeatureTable();
        var observedById = observeLabels ? new Dictionary<string, int>(StringComparer.Ordinal) : null;
        if (observeLabels)
        {
            table._observed = [];
        }

        var replay = new FeatureReplay(options);
        var features = new float[FeatureSchema.Count];
        var rowById = new Dictionary<string, int>(StringComparer.Ordinal);
        var truthPending = new HashSet<int>();
        DateTime? recordFrom = null;
        DateTime? stopAt = null;
        var first = true;
        var stopped = false;
        using var events = history.GetEnumerator();
        while (events.MoveNext())
        {
            var e = events.Current;
            if (e.Transaction is null)
            {
                if (e.Label is { } alone)
                {
                    replay.Enqueue(alone);
                    table.TakeTruth(alone, rowById, truthPending);
                    table.Observe(alone, observedById);
                }

                continue;
            }

            var tx = e.Transaction;
            if (first)
            {
                first = false;
                recordFrom = recordFromBoundary?.Resolve(tx.Timestamp, stepOrigin);
                stopAt = stopAtBoundary?.Resolve(tx.Timestamp, stepOrigin);
            }

            if (stopAt is { } stop && tx.Timestamp >= stop)
            {
                stopped = true;
                break;
            }

            replay.Process(tx, features);
            if (e.Label is { } later)
            {
                replay.Enqueue(later);
            }

            if (recordFrom is { } from && tx.Timestamp < from)
            {
                table.WarmupRows++;
                continue;
            }

            var index = table.Add(features, e.TruthKnown && e.IsFraud, tx.Timestamp.Ticks);
            if (table._observed is { } observed)
            {
                observed.Add(e.Label is { } inline ? inline.Fraud : false);
                observedById![tx.Id] = index;
            }

            if (!e.TruthKnown)
            {
                rowById[tx.Id] = index;
                truthPending.Add(index);
            }

            onRow?.Invoke(index, tx, features);
        }

        // A row's truth is its label, which may be reported after the boundary (a chargeback weeks later): read the
        // rest of the labels for the truth only. The features saw only the labels reported before each transaction.
        while (stopped && (truthPending.Count > 0 || observedById is not null) && events.MoveNext())
        {
            if (events.Current is { Transaction: null, Label: { } label })
            {
                table.TakeTruth(label, rowById, truthPending);
                table.Observe(label, observedById);
            }
        }

        return table;
    }

    /// <summary>
    /// One table of row ranges of other tables, in the order given (features, truth and time copied; no observed labels).
    /// Pooled worlds are concatenated this way: each range was computed by its own replay, so no state is shared.
    /// </summary>
    public static FeatureTable Concatenate(IEnumerable<(FeatureTable Table, int Start, int Count)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = ranges.ToList();
        var pooled = new FeatureTable();
        var rows = list.Sum(r => (long)r.Count);
        pooled._values.Capacity = checked((int)(rows * FeatureSchema.Count));
        pooled._labels.Capacity = pooled._ticks.Capacity = (int)rows;
        foreach (var (table, start, count) in list)
        {
            ArgumentNullException.ThrowIfNull(table);
            ArgumentOutOfRangeException.ThrowIfNegative(start);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(start + (long)count, table.Count, nameof(count));
            for (var i = start; i < start + count; i++)
            {
                pooled.Add(table.Row(i), table._labels[i], table._ticks[i]);
            }
        }

        return pooled;
    }

    /// <summary>sha256 over every row's features, label and time: identifies the data a model saw.</summary>
    public string Hash(int start, int count)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> tail = stackalloc byte[9];
        for (var i = start; i < start + count; i++)
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Row(i)));
            BitConverter.TryWriteBytes(tail, _ticks[i]);
            tail[8] = _labels[i] ? (byte)1 : (byte)0;
            sha.AppendData(tail);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private int Add(ReadOnlySpan<float> features, bool label, long ticks)
    {
        foreach (var value in features)
        {
            _values.Add(value);
        }

        _labels.Add(label);
        _ticks.Add(ticks);
        if (label)
        {
            Frauds++;
        }

        return _labels.Count - 1;
    }

    private void TakeTruth(Core.Contracts.Label label, Dictionary<string, int> rowById, HashSet<int> truthPending)
    {
        if (rowById.TryGetValue(label.Id, out var row) && truthPending.Contains(row))
        {
            SetLabel(row, label.Fraud);
        }
    }

    private void Observe(Core.Contracts.Label label, Dictionary<string, int>? observedById)
    {
        if (observedById is not null && observedById.TryGetValue(label.Id, out var row))
        {
            _observed![row] = label.Fraud;
        }
    }

    private void SetLabel(int row, bool fraud)
    {
        if (_labels[row] == fraud)
        {
            return;
        }

        _labels[row] = fraud;
        Frauds += fraud ? 1 : -1;
    }
}
