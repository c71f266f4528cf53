namespace FraudStream.Ingest.Replay;

/// <summary>
/// Counts of one replay: updated by the thread enumerating the source, readable from others for
/// progress (counters may lag by a row). Reset when a new enumeration starts.
/// </summary>
public sealed class ReplayStats
{
    private readonly List<BadRow> _firstBadRows = [];
    private long _rows;
    private long _transactions;
    private long _labels;
    private long _bad;

    public ReplayStats(int maxBadRowsKept = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBadRowsKept);
        MaxBadRowsKept = maxBadRowsKept;
    }

    public int MaxBadRowsKept { get; }

    /// <summary>Data rows read: good and bad (headers and blank lines are not rows).</summary>
    public long Rows => Volatile.Read(ref _rows);

    /// <summary>Rows that gave a transaction or a label.</summary>
    public long Good => Transactions + LabelLines;

    public long Transactions => Volatile.Read(ref _transactions);

    /// <summary>Rows that were a label on their own.</summary>
    public long LabelLines => Volatile.Read(ref _labels);

    public long Bad => Volatile.Read(ref _bad);

    /// <summary>The first <see cref="MaxBadRowsKept"/> bad rows, in file order (a copy).</summary>
    public IReadOnlyList<BadRow> FirstBadRows
    {
        get
        {
            lock (_firstBadRows)
            {
                return [.. _firstBadRows];
            }
        }
    }

    public override string ToString() => $"rows={Rows} transactions={Transactions} label_lines={LabelLines} bad={Bad}";

    internal void Reset()
    {
        Volatile.Write(ref _rows, 0);
        Volatile.Write(ref _transactions, 0);
        Volatile.Write(ref _labels, 0);
        Volatile.Write(ref _bad, 0);
        lock (_firstBadRows)
        {
            _firstBadRows.Clear();
        }
    }

    internal void Count(in ReplayRecord record)
    {
        Volatile.Write(ref _rows, _rows + 1);
        switch (record.Kind)
        {
            case ReplayRecordKind.Transaction:
                Volatile.Write(ref _transactions, _transactions + 1);
                break;
            case ReplayRecordKind.Label:
                Volatile.Write(ref _labels, _labels + 1);
                break;
            default:
                Volatile.Write(ref _bad, _bad + 1);
                lock (_firstBadRows)
                {
                    if (_firstBadRows.Count < MaxBadRowsKept)
                    {
                        _firstBadRows.Add(record.BadRow);
                    }
                }

                break;
        }
    }
}
