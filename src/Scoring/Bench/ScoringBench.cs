using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Bench;

public enum CudaGraphsMode
{
    Off,
    On,
    Both,
}

public sealed class ScoringBenchOptions
{
    /// <summary>A model package directory with model.tensor.onnx (and model.cpu.onnx for the CPU comparison).</summary>
    public required string PackageDir { get; init; }

    public ScoringDevice Device { get; init; } = ScoringDevice.Auto;

    public IReadOnlyList<int> Batches { get; init; } = [1, 8, 64, 256, 1024, 4096];

    /// <summary>Timed calls per batch size (after warm-up).</summary>
    public int Iterations { get; init; } = 2000;

    public CudaGraphsMode CudaGraphs { get; init; } = CudaGraphsMode.Both;

    public int CpuThreads { get; init; }

    public string? JsonReport { get; init; }

    /// <summary>Threads submitting through the micro-batcher after the direct runs (0: skip the batcher runs).</summary>
    public int Concurrency { get; init; }

    /// <summary>Rows per submission in the batcher runs, as a pipeline worker would send.</summary>
    public int RowsPerSubmission { get; init; } = 1;

    /// <summary>The batcher's maximum batch and wait in the batcher runs.</summary>
    public int BatcherMaxBatch { get; init; } = 64;

    public int BatcherMaxWaitMicros { get; init; } = 200;

    /// <summary>
    /// A challenger package: each batcher run is repeated with it in shadow, once with the service's defaults (skipped
    /// under load, within its budget) and once made to score every batch (its whole cost).
    /// </summary>
    public string? ChallengerDir { get; init; }

    public static IReadOnlyList<int> ParseBatches(string csv) =>
        [.. csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(value => int.Parse(value, CultureInfo.InvariantCulture))];

    public static CudaGraphsMode ParseCudaGraphs(string value) => value.ToLowerInvariant() switch
    {
        "on" => CudaGraphsMode.On,
        "off" => CudaGraphsMode.Off,
        "both" => CudaGraphsMode.Both,
        _ => throw new ArgumentException($"unknown --cuda-graphs '{value}' (on|off|both)", nameof(value)),
    };
}

public sealed record ScoringBenchResult(
    string Mode, string Device, int Batch, int Iterations,
    double P50Us, double P99Us, double MeanUs, double P50NsPerTransaction, double P99NsPerTransaction, double TransactionsPerSecond)
{
    /// <summary>Batcher runs only: p99 of the time queued before the batch ran, and of the batch's compute.</summary>
    public double? QueueP99Us { get; init; }

    public double? ComputeP99Us { get; init; }

    public double? MeanBatchRows { get; init; }

    /// <summary>Runs with a challenger: the transactions it scored and those it skipped (any reason), and its p99 part of the compute.</summary>
    public long? ChallengerScored { get; init; }

    public long? ChallengerSkipped { get; init; }

    public double? ChallengerComputeP99Us { get; init; }
}

/// <summary>How far a mode's probabilities are from an independent CPU reference on the same rows.</summary>
public sealed record ScoringAgreement(string Mode, string Scorer, string Reference, int Rows, double MaxAbsDiff);

public sealed record ScoringBenchReport(
    string Host, int ProcessorCount, string OrtVersion, string ModelVersion, string RequestedDevice,
    DateTime StartedAt, IReadOnlyList<ScoringBenchResult> Results)
{
    public IReadOnlyList<ScoringAgreement> Agreement { get; init; } = [];
}

/// <summary>
/// <c>fraudstream bench scoring</c>: per batch size and mode, p50/p99 µs per call, ns per transaction and
/// transactions/s through <see cref="IModelScorer.Score"/> (rows in, probabilities out, as the pipeline calls it).
/// Needs only the runtime: no SDK, no ML.NET.
/// </summary>
public static class ScoringBench
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ScoringBenchReport Run(ScoringBenchOptions options, ILogger logger, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var maxBatch = options.Batches.Max();
        var manifest = ScorerFactory.LoadManifest(options.PackageDir);
        var results = new List<ScoringBenchResult>();
        var agreement = new List<ScoringAgreement>();
        var cudaFailed = false;
        var checkRows = AgreementRows(maxBatch);
        var (referenceName, reference) = ReferenceProbabilities(options, manifest, checkRows, logger);

        foreach (var (mode, scoringOptions) in Modes(options, maxBatch))
        {
            if (cudaFailed && mode.StartsWith("cuda", StringComparison.Ordinal))
            {
                continue;
            }

            using var scorer = ScorerFactory.Create(options.PackageDir, manifest, scoringOptions, logger);
            if (mode.StartsWith("cuda", StringComparison.Ordinal) && scorer.Device != "cuda")
            {
                if (options.Device == ScoringDevice.Cuda)
                {
                    throw new InvalidOperationException("--device cuda was asked for, but CUDA did not initialise (see the warning above)");
                }

                console.WriteLine("CUDA did not initialise: measuring the CPU only");
                cudaFailed = true;
                continue;
            }

            foreach (var batch in options.Batches)
            {
                results.Add(Measure(scorer, mode, batch, options.Iterations));
            }

            agreement.Add(new ScoringAgreement(mode, scorer.Description, referenceName, reference.Length,
                MaxAbsDiff(scorer, checkRows, reference)));

            if (options.Concurrency > 0)
            {
                scorer.Dispose();
                results.Add(MeasureUnderLoad(options, scoringOptions, mode, ChallengerRun.None, logger));
                if (options.ChallengerDir is not null)
                {
                    results.Add(MeasureUnderLoad(options, scoringOptions, mode, ChallengerRun.WithinBudget, logger));
                    results.Add(MeasureUnderLoad(options, scoringOptions, mode, ChallengerRun.EveryBatch, logger));
                }
            }
        }

        var report = new ScoringBenchReport(Environment.MachineName, Environment.ProcessorCount,
            Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(), manifest.ModelVersion,
            options.Device.ToString().ToLowerInvariant(), DateTime.UtcNow, results) { Agreement = agreement };
        WriteTable(report, console);
        if (options.JsonReport is { } path)
        {
            File.WriteAllText(path, JsonSerializer.Serialize(report, JsonOptions));
            console.WriteLine($"report written to {path}");
        }

        return report;
    }

    private static IEnumerable<(string Mode, ScoringOptions Options)> Modes(ScoringBenchOptions options, int maxBatch)
    {
        ScoringOptions With(ScoringDevice device, ScoringGraph graph, bool graphs) => new()
        {
            Device = device,
            Graph = graph,
            MaxBatchSize = maxBatch,
            CudaGraphs = graphs,
            CudaGraphsWithoutSelection = true,
            CpuThreads = options.CpuThreads,
        };

        if (options.Device != ScoringDevice.Cpu)
        {
            if (options.CudaGraphs != CudaGraphsMode.On)
            {
                yield return ("cuda_tensor", With(ScoringDevice.Cuda, ScoringGraph.Tensor, false));
            }

            if (options.CudaGraphs != CudaGraphsMode.Off)
            {
                yield return ("cuda_tensor_graphs", With(ScoringDevice.Cuda, ScoringGraph.Tensor, true));
            }
        }

        if (options.Device != ScoringDevice.Cuda)
        {
            yield return ("cpu_tensor", With(ScoringDevice.Cpu, ScoringGraph.Tensor, false));
            var manifest = ScorerFactory.LoadManifest(options.PackageDir);
            if (File.Exists(Path.Combine(options.PackageDir, manifest.Files.OnnxTreeEnsemble)))
            {
                yield return ("cpu_tree_ensemble", With(ScoringDevice.Cpu, ScoringGraph.TreeEnsemble, false));
            }
        }
    }

    private static ScoringBenchResult Measure(IModelScorer scorer, string mode, int batch, int iterations)
    {
        var features = new float[batch * FeatureSchema.Count];
        var random = new Random(batch);
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var probabilities = new float[batch];
        var warmup = Math.Max(10, iterations / 10);
        for (var i = 0; i < warmup; i++)
        {
            scorer.Score(features, batch, probabilities);
        }

        var samples = new double[iterations];
        var total = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            scorer.Score(features, batch, probabilities);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        total.Stop();
        Array.Sort(samples);
        var p50 = samples[iterations / 2];
        var p99 = Percentile99(samples);
        var mean = total.Elapsed.TotalMicroseconds / iterations;
        return new ScoringBenchResult(mode, scorer.Device, batch, iterations, p50, p99, mean,
            p50 * 1000 / batch, p99 * 1000 / batch, batch / (mean / 1_000_000));
    }

    /// <summary>Several threads submitting small batches through <see cref="ScoringService"/>, as pipeline workers do.</summary>
    private enum ChallengerRun
    {
        None,
        WithinBudget,
        EveryBatch,
    }

    private static ScoringBenchResult MeasureUnderLoad(ScoringBenchOptions options, ScoringOptions scoringOptions, string mode, ChallengerRun challenger,
        ILogger logger)
    {
        var serviceOptions = new ScoringOptions
        {
            Device = scoringOptions.Device,
            Graph = scoringOptions.Graph,
            CudaGraphs = scoringOptions.CudaGraphs,
            CudaGraphsWithoutSelection = true,
            CpuThreads = scoringOptions.CpuThreads,
            MaxBatchSize = options.BatcherMaxBatch,
            MaxWaitMicros = options.BatcherMaxWaitMicros,
            MaxPendingSubmissions = Math.Max(options.Concurrency * 2, 16),
            ChallengerSkipAtWaiting = challenger == ChallengerRun.EveryBatch ? int.MaxValue : new ScoringOptions().ChallengerSkipAtWaiting,
            ChallengerBudgetMicros = challenger == ChallengerRun.EveryBatch ? int.MaxValue : new ScoringOptions().ChallengerBudgetMicros,
        };
        using var service = new ScoringService(serviceOptions, logger);
        service.Swap(options.PackageDir);
        if (challenger != ChallengerRun.None)
        {
            service.SetChallenger(ModelSnapshot.Load(options.ChallengerDir!, serviceOptions, logger));
        }
        var rows = options.RowsPerSubmission;
        var perThread = Math.Max(1, options.Iterations);
        var latency = new double[options.Concurrency * perThread];
        var queue = new double[latency.Length];
        var compute = new double[latency.Length];
        var batchRows = new double[latency.Length];
        var shadow = new double[latency.Length];
        var threads = new Thread[options.Concurrency];
        var total = Stopwatch.StartNew();
        for (var t = 0; t < threads.Length; t++)
        {
            var first = t * perThread;
            threads[t] = new Thread(() =>
            {
                var features = new float[rows * FeatureSchema.Count];
                var random = new Random(first);
                for (var i = 0; i < features.Length; i++)
                {
                    features[i] = (float)((random.NextDouble() * 4) - 2);
                }

                var probabilities = new float[rows];
                var challengerProbabilities = new float[rows];
                for (var i = 0; i < perThread; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    service.Score(features, rows, probabilities, challengerProbabilities, out _, out var timing);
                    latency[first + i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    queue[first + i] = timing.QueueMicros;
                    compute[first + i] = timing.ComputeMicros;
                    batchRows[first + i] = timing.BatchRows;
                    shadow[first + i] = timing.ShadowMicros;
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        total.Stop();
        var meanBatch = batchRows.Average();
        Array.Sort(latency);
        Array.Sort(queue);
        Array.Sort(compute);
        Array.Sort(shadow);
        var p50 = latency[latency.Length / 2];
        var p99 = Percentile99(latency);
        var suffix = challenger switch
        {
            ChallengerRun.WithinBudget => "_challenger",
            ChallengerRun.EveryBatch => "_challenger_always",
            _ => "",
        };
        var telemetry = service.ChallengerNow("scoring", null, null);
        return new ScoringBenchResult($"{mode}_batcher_x{options.Concurrency}{suffix}", service.Current.Device, options.BatcherMaxBatch, latency.Length,
            p50, p99, latency.Average(), p50 * 1000 / rows, p99 * 1000 / rows, latency.Length * rows / total.Elapsed.TotalSeconds)
        {
            QueueP99Us = Percentile99(queue),
            ComputeP99Us = Percentile99(compute),
            MeanBatchRows = meanBatch,
            ChallengerScored = challenger == ChallengerRun.None ? null : telemetry.ScoredRows,
            ChallengerSkipped = challenger == ChallengerRun.None ? null : telemetry.SkippedRows.Sum(),
            ChallengerComputeP99Us = challenger == ChallengerRun.None ? null : Percentile99(shadow),
        };
    }

    /// <summary>Rows like the pipeline's, plus the awkward values: NaN, ±∞, zeros and negative zeros.</summary>
    private static float[] AgreementRows(int rows)
    {
        var features = new float[rows * FeatureSchema.Count];
        var random = new Random(20261129);
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = random.Next(40) switch
            {
                0 => float.NaN,
                1 => float.PositiveInfinity,
                2 => float.NegativeInfinity,
                3 => 0f,
                4 => -0f,
                _ => (float)((random.NextDouble() * 400) - 100),
            };
        }

        return features;
    }

    /// <summary>The ORT TreeEnsemble export on the CPU when the package has one (an implementation independent of the tensor graph), else the tensor graph on the CPU.</summary>
    private static (string Name, float[] Probabilities) ReferenceProbabilities(ScoringBenchOptions options, Packaging.ModelPackage manifest,
        float[] rows, ILogger logger)
    {
        var hasTrees = File.Exists(Path.Combine(options.PackageDir, manifest.Files.OnnxTreeEnsemble));
        using var scorer = ScorerFactory.Create(options.PackageDir, manifest, new ScoringOptions
        {
            Device = ScoringDevice.Cpu,
            Graph = hasTrees ? ScoringGraph.TreeEnsemble : ScoringGraph.Tensor,
            MaxBatchSize = 1024,
            CpuThreads = options.CpuThreads,
        }, logger);
        var count = rows.Length / FeatureSchema.Count;
        var probabilities = new float[count];
        scorer.Score(rows, count, probabilities);
        return (scorer.Description, probabilities);
    }

    private static double MaxAbsDiff(IModelScorer scorer, float[] rows, float[] reference)
    {
        var probabilities = new float[reference.Length];
        scorer.Score(rows, reference.Length, probabilities);
        var max = 0.0;
        for (var i = 0; i < reference.Length; i++)
        {
            var diff = Math.Abs((double)probabilities[i] - reference[i]);
            max = double.IsNaN(diff) ? double.PositiveInfinity : Math.Max(max, diff);
        }

        return max;
    }

    private static double Percentile99(double[] sorted) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];

    private static void WriteTable(ScoringBenchReport report, TextWriter console)
    {
        console.WriteLine($"scoring bench on {report.Host} ({report.ProcessorCount} cores), ONNX Runtime {report.OrtVersion}, model {report.ModelVersion}");
        console.WriteLine($"{"mode",-20} {"batch",6} {"p50 µs",10} {"p99 µs",10} {"p50 ns/tx",10} {"p99 ns/tx",10} {"tx/s",14}");
        foreach (var r in report.Results)
        {
            var batcher = r.QueueP99Us is { } q ? string.Create(CultureInfo.InvariantCulture,
                $"  queue p99 {q:F1} µs, compute p99 {r.ComputeP99Us:F1} µs, mean batch {r.MeanBatchRows:F1}") : "";
            if (r.ChallengerScored is { } scored)
            {
                batcher += string.Create(CultureInfo.InvariantCulture,
                    $", challenger scored {scored:N0} skipped {r.ChallengerSkipped:N0}, its compute p99 {r.ChallengerComputeP99Us:F1} µs");
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Mode,-20} {r.Batch,6} {r.P50Us,10:F1} {r.P99Us,10:F1} {r.P50NsPerTransaction,10:F1} {r.P99NsPerTransaction,10:F1} {r.TransactionsPerSecond,14:N0}{batcher}"));
        }

        foreach (var a in report.Agreement)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"agreement {a.Mode} ({a.Scorer}) vs {a.Reference}: max |Δp| {a.MaxAbsDiff:G3} over {a.Rows:N0} rows"));
        }
    }
}
