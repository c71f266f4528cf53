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
    double P50Us, double P99Us, double MeanUs, double P50NsPerTransaction, double P99NsPerTransaction, double TransactionsPerSecond);

public sealed record ScoringBenchReport(
    string Host, int ProcessorCount, string OrtVersion, string ModelVersion, string RequestedDevice,
    DateTime StartedAt, IReadOnlyList<ScoringBenchResult> Results);

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
        var cudaFailed = false;

        foreach (var (mode, scoringOptions) in Modes(options, maxBatch))
        {
            if (cudaFailed && mode.StartsWith("cuda", StringComparison.Ordinal))
            {
                continue;
            }

            using var scorer = ScorerFactory.Create(options.PackageDir, scoringOptions, logger);
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
        }

        var report = new ScoringBenchReport(Environment.MachineName, Environment.ProcessorCount,
            Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(), manifest.ModelVersion,
            options.Device.ToString().ToLowerInvariant(), DateTime.UtcNow, results);
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
        var p99 = samples[Math.Min(iterations - 1, (int)Math.Ceiling(iterations * 0.99) - 1)];
        var mean = total.Elapsed.TotalMicroseconds / iterations;
        return new ScoringBenchResult(mode, scorer.Device, batch, iterations, p50, p99, mean,
            p50 * 1000 / batch, p99 * 1000 / batch, batch / (mean / 1_000_000));
    }

    private static void WriteTable(ScoringBenchReport report, TextWriter console)
    {
        console.WriteLine($"scoring bench on {report.Host} ({report.ProcessorCount} cores), ONNX Runtime {report.OrtVersion}, model {report.ModelVersion}");
        console.WriteLine($"{"mode",-20} {"batch",6} {"p50 µs",10} {"p99 µs",10} {"p50 ns/tx",10} {"p99 ns/tx",10} {"tx/s",14}");
        foreach (var r in report.Results)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Mode,-20} {r.Batch,6} {r.P50Us,10:F1} {r.P99Us,10:F1} {r.P50NsPerTransaction,10:F1} {r.P99NsPerTransaction,10:F1} {r.TransactionsPerSecond,14:N0}"));
        }
    }
}
