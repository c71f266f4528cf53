using BenchmarkDotNet.Attributes;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Benchmarks.Scoring;

/// <summary>
/// Both ONNX graphs of a package on ONNX Runtime's CPU provider, through the scorer the pipeline uses (pinned
/// buffers, IOBinding, one intra-op thread): ML.NET's export (ai.onnx.ml TreeEnsemble operators) and the trees
/// compiled to standard ai.onnx tensor operators.
/// </summary>
[MemoryDiagnoser]
public class OrtScorerBenchmark
{
    private IModelScorer _scorer = null!;
    private float[] _features = null!;
    private float[] _probabilities = null!;

    [Params(ScoringGraph.TreeEnsemble, ScoringGraph.Tensor)]
    public ScoringGraph Graph { get; set; }

    [Params(1, 32, 1024)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ScoringBenchmarkModel.Train();
        _scorer = ScorerFactory.Create(ScoringBenchmarkModel.PackageDir,
            new ScoringOptions { Device = ScoringDevice.Cpu, Graph = Graph, MaxBatchSize = 1024, CpuThreads = 1 },
            NullLogger.Instance);
        _features = ScoringBenchmarkModel.Rows(Batch, seed: 9).SelectMany(r => r.Features).ToArray();
        _probabilities = new float[Batch];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer.Dispose();
        ScoringBenchmarkModel.Cleanup();
    }

    [Benchmark]
    public float ScoreBatch()
    {
        _scorer.Score(_features, Batch, _probabilities);
        return _probabilities[0];
    }
}
