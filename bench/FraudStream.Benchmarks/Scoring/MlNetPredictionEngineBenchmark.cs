using BenchmarkDotNet.Attributes;
using Microsoft.ML;

namespace FraudStream.Benchmarks.Scoring;

/// <summary>ML.NET's PredictionEngine, one row at a time (it has no batch API): the baseline.</summary>
[MemoryDiagnoser]
public class MlNetPredictionEngineBenchmark
{
    private PredictionEngine<BenchRow, BenchPrediction> _engine = null!;
    private List<BenchRow> _rows = null!;

    [Params(1, 32, 1024)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var model = ScoringBenchmarkModel.Train();
        _engine = ScoringBenchmarkModel.Context.Model.CreatePredictionEngine<BenchRow, BenchPrediction>(model, inputSchemaDefinition: ScoringBenchmarkModel.Schema());
        _rows = ScoringBenchmarkModel.Rows(Batch, seed: 9);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        ScoringBenchmarkModel.Cleanup();
    }

    [Benchmark]
    public float ScoreBatch()
    {
        var sum = 0f;
        var prediction = new BenchPrediction();
        foreach (var row in _rows)
        {
            _engine.Predict(row, ref prediction);
            sum += prediction.Probability;
        }

        return sum;
    }
}
