using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Training.Modeling;

namespace FraudStream.Training.Data;

/// <summary>History to replay, in time order, and a line saying where it came from.</summary>
/// <param name="StepOrigin">Where step 0 starts (BankSim: local midnight of day 0); null: midnight UTC of the first transaction's day.</param>
/// <param name="Stats">A file's counts and first bad rows (with line numbers), filled while <paramref name="Events"/> is enumerated; null for the simulator.</param>
public sealed record History(IEnumerable<HistoryEvent> Events, string Description, DateTime? StepOrigin = null, ReplayStats? Stats = null);

/// <summary>Turns the simulator and the replay readers into <see cref="HistoryEvent"/> streams.</summary>
public static class HistorySources
{
    /// <summary>The names <c>train --source</c> accepts, for messages.</summary>
    public const string SourceNames = "simulator, banksim or jsonl";

    /// <summary>Parses <c>simulator</c>, <c>banksim</c> or <c>jsonl</c> (case-insensitive).</summary>
    public static bool TryParseSource(string? text, out TrainingSource source)
    {
        if (string.Equals(text?.Trim(), "simulator", StringComparison.OrdinalIgnoreCase))
        {
            source = TrainingSource.Simulator;
            return true;
        }

        var isFile = ReplaySources.TryParseFormat(text, out var format);
        source = format == ReplayFormat.BankSim ? TrainingSource.BankSim : TrainingSource.JsonLines;
        return isFile;
    }

    public static History Open(TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var history = options.Source switch
        {
            TrainingSource.Simulator => Simulator(options.Seed, options.Count, options.LabelNoise, options.World),
            TrainingSource.BankSim => File(ReplayFormat.BankSim, options.File),
            _ => File(ReplayFormat.JsonLines, options.File),
        };
        return TimeBoundary.ParseOrNull(options.StepOrigin, "--step-origin") is { } origin
            ? history with { StepOrigin = origin.Time ?? throw new ArgumentException("--step-origin must be an RFC 3339 time") }
            : history;
    }

    public static History Open(TrainingSource source, string? file, int seed, int count) =>
        Open(new TrainOptions { Source = source, File = file, Seed = seed, Count = count });

    /// <summary>
    /// The simulator's truth (before label noise) labels the rows; its (noisy, delayed) labels feed the graph when
    /// reported. <paramref name="labelNoise"/>: the simulator's default when null. A hard world names its drawn knobs.
    /// </summary>
    public static History Simulator(int seed, int count, double? labelNoise = null, SimulatorWorld world = SimulatorWorld.Standard)
    {
        var options = labelNoise is { } noise
            ? new SimulatorOptions { Seed = seed, LabelNoise = noise, World = world }
            : new SimulatorOptions { Seed = seed, World = world };
        var simulator = new TransactionSimulator(options);
        var description = world == SimulatorWorld.Hard
            ? $"simulator count={count} {simulator.Options.Describe()}"
            : labelNoise is { } n
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"simulator seed={seed} count={count} label_noise={n}")
            : $"simulator seed={seed} count={count}";
        return new History(SimulatorEvents(simulator, count), description);
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

        var source = ReplaySources.Create(format, path);
        return new History(FileEvents(source), $"{(format == ReplayFormat.BankSim ? "banksim" : "jsonl")} {Path.GetFileName(path)}", origin, source.Stats);
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
