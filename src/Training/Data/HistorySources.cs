using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Training.Modeling;

namespace FraudStream.Training.Data;

/// <summary>History to replay, in time order, and a line saying where it came from.</summary>
/// <param name="StepOrigin">Where step 0 starts (BankSim: local midnight of day 0); null: midnight UTC of the first transaction's day.</param>
public sealed record History(IEnumerable<HistoryEvent> Events, string Description, DateTime? StepOrigin = null);

/// <summary>Turns the simulator and the replay readers into <see cref="HistoryEvent"/> streams.</summary>
public static class HistorySources
{
    public static History Open(TrainingSource source, string? file, int seed, int count) => source switch
    {
        TrainingSource.Simulator => Simulator(seed, count),
        TrainingSource.BankSim => File(ReplayFormat.BankSim, file),
        _ => File(ReplayFormat.JsonLines, file),
    };

    /// <summary>The simulator's truth labels the rows; its (noisy, delayed) labels feed the graph when reported.</summary>
    public static History Simulator(int seed, int count)
    {
        var options = new SimulatorOptions { Seed = seed };
        return new History(SimulatorEvents(new TransactionSimulator(options), count), $"simulator seed={seed} count={count}");
    }

    public static History File(ReplayFormat format, string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException($"--file is required for {format}");
        }

        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"no such file: {path}", path);
        }

        DateTime? origin = null;
        if (format == ReplayFormat.BankSim)
        {
            var bankSim = new BankSimOptions();
            origin = bankSim.Start.AddHours(-bankSim.UtcOffsetHours);
        }

        return new History(FileEvents(ReplaySources.Create(format, path)), $"{format.ToString().ToLowerInvariant()} {Path.GetFileName(path)}", origin);
    }

    private static IEnumerable<HistoryEvent> SimulatorEvents(TransactionSimulator simulator, int count)
    {
        foreach (var e in simulator.Generate(count))
        {
            if (e.IsTransaction)
            {
                yield return HistoryEvent.ForTransaction(e.Transaction, e.IsFraud);
            }
            else if (e.IsLabel)
            {
                yield return HistoryEvent.ForLabel(e.Label);
            }
        }
    }

    private static IEnumerable<HistoryEvent> FileEvents(IReplaySource source)
    {
        foreach (var record in source.Read())
        {
            if (record.IsTransaction)
            {
                yield return record.Label is { } label
                    ? HistoryEvent.ForTransaction(record.Transaction, label.Fraud, label)
                    : new HistoryEvent(record.Transaction, false, false, null);
            }
            else if (record.IsLabelOnly)
            {
                yield return HistoryEvent.ForLabel(record.Label);
            }
        }
    }
}
