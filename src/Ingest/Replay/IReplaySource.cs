namespace FraudStream.Ingest.Replay;

/// <summary>
/// A file of transactions to replay. <see cref="Read"/> streams records in file order (BankSim:
/// event-time order) and reports bad rows as records instead of stopping. One enumeration at a
/// time per instance: <see cref="Stats"/> belongs to the current one.
/// </summary>
public interface IReplaySource
{
    string Path { get; }

    ReplayStats Stats { get; }

    /// <summary>Reads the file from the start; ends early, without throwing, when cancelled.</summary>
    IEnumerable<ReplayRecord> Read(CancellationToken cancellationToken = default);
}

/// <summary>The formats <c>fraudstream replay --format</c> accepts.</summary>
public enum ReplayFormat
{
    BankSim,
    JsonLines,
}

public static class ReplaySources
{
    /// <summary>Parses <c>banksim</c> or <c>jsonl</c> (case-insensitive).</summary>
    public static bool TryParseFormat(string? text, out ReplayFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "banksim":
                format = ReplayFormat.BankSim;
                return true;
            case "jsonl" or "json-lines" or "jsonlines":
                format = ReplayFormat.JsonLines;
                return true;
            default:
                format = default;
                return false;
        }
    }

    public static IReplaySource Create(ReplayFormat format, string path) => format switch
    {
        ReplayFormat.BankSim => new BankSimReader(path),
        _ => new JsonLinesReader(path),
    };
}
