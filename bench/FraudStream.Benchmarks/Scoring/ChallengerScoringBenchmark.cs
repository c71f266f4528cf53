using BenchmarkDotNet.Attributes;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Runtime;
using FraudStream.Training.Compilation;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Benchmarks.Scoring;

/// <summary>
/// The model stage as a worker calls it (one submission through <see cref="ScoringService"/>'s micro-batcher, CPU,
/// no wait), with and without a challenger in shadow: the challenger's cost per batch, and that the champion's path
/// allocates nothing either way.
/// </summary>
[MemoryDiagnoser]
public class ChallengerScoringBenchmark
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fraudstream-bench-challenger", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private ScoringService _service = null!;
    private float[] _features = null!;
    private float[] _scores = null!;
    private float[] _challengerScores = null!;

    [Params(false, true)]
    public bool WithChallenger { get; set; }

    [Params(16, 64)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor, MaxBatchSize = 64, MaxWaitMicros = 0, CpuThreads = 1 };
        _service = new ScoringService(options, NullLogger.Instance);
        _service.Swap(SyntheticPackage.Create(Path.Combine(_root, "champion"), trees: 200, depth: 5, seed: 17));
        if (WithChallenger)
        {
            _service.SetChallenger(ModelSnapshot.Load(SyntheticPackage.Create(Path.Combine(_root, "challenger"), trees: 200, depth: 5, seed: 18),
                options, NullLogger.Instance));
        }

        var random = new Random(5);
        _features = new float[Rows * FeatureSchema.Count];
        for (var i = 0; i < _features.Length; i++)
        {
            _features[i] = (float)((random.NextDouble() * 4) - 2);
        }

        _scores = new float[Rows];
        _challengerScores = new float[Rows];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _service.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark]
    public float ScoreSubmission()
    {
        _service.Score(_features, Rows, _scores, _challengerScores, out _, out _);
        return _scores[0];
    }
}
