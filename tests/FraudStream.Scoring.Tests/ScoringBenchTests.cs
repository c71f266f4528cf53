using System.Text.Json;
using FraudStream.Scoring.Bench;
using FraudStream.Scoring.Runtime;
using FraudStream.Training.Compilation;

namespace FraudStream.Scoring.Tests;

public sealed class ScoringBenchTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    [Fact]
    public void Cpu_bench_on_a_synthetic_package_reports_every_batch_in_snake_case_json()
    {
        var package = SyntheticPackage.Create(Path.Combine(models.Directory, "synthetic"), trees: 20, depth: 5);
        var report = Path.Combine(models.Directory, "bench.json");
        var console = new StringWriter();

        var result = ScoringBench.Run(new ScoringBenchOptions
        {
            PackageDir = package,
            Device = ScoringDevice.Cpu,
            Batches = [1, 8],
            Iterations = 20,
            JsonReport = report,
        }, new TestLogger(), console);

        Assert.Equal(2, result.Results.Count);
        Assert.All(result.Results, r => Assert.True(r.P50Us > 0 && r.P99Us >= r.P50Us && r.TransactionsPerSecond > 0));
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var first = json.RootElement.GetProperty("results")[0];
        Assert.Equal("cpu_tensor", first.GetProperty("mode").GetString());
        Assert.True(first.GetProperty("p50_ns_per_transaction").GetDouble() > 0);
        Assert.Contains("cpu_tensor", console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Batcher_run_reports_queue_and_compute_percentiles_under_concurrent_load()
    {
        var package = SyntheticPackage.Create(Path.Combine(models.Directory, "synthetic-load"), trees: 10, depth: 4);

        var result = ScoringBench.Run(new ScoringBenchOptions
        {
            PackageDir = package,
            Device = ScoringDevice.Cpu,
            Batches = [1],
            Iterations = 50,
            Concurrency = 4,
            RowsPerSubmission = 2,
            BatcherMaxBatch = 16,
        }, new TestLogger(), new StringWriter());

        var load = Assert.Single(result.Results, r => r.Mode == "cpu_tensor_batcher_x4");
        Assert.Equal(200, load.Iterations);
        Assert.NotNull(load.QueueP99Us);
        Assert.NotNull(load.ComputeP99Us);
        Assert.InRange(load.MeanBatchRows!.Value, 2, 16);
    }

    [Fact]
    public void Cuda_bench_refuses_to_report_CPU_numbers_as_CUDA_ones_on_a_host_without_a_GPU_like_CI()
    {
        if (File.Exists("/dev/nvidiactl"))
        {
            return;
        }

        var package = SyntheticPackage.Create(Path.Combine(models.Directory, "synthetic-cuda"), trees: 5, depth: 3);
        var error = Assert.Throws<InvalidOperationException>(() => ScoringBench.Run(new ScoringBenchOptions
        {
            PackageDir = package,
            Device = ScoringDevice.Cuda,
            Batches = [1],
            Iterations = 5,
        }, new TestLogger(), new StringWriter()));
        Assert.Contains("CUDA did not initialise", error.Message, StringComparison.Ordinal);
    }
}
