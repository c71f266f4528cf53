using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using FraudStream.Ingest.Replay;

namespace FraudStream.Benchmarks.Data;

/// <summary>
/// BankSim replay throughput: one operation is one row, over a generated gzip file of 100,000 rows
/// in the BankSim layout (10 days of 10,000 rows, 1 % fraud, one amount-0 row in 1,000).
/// </summary>
[MemoryDiagnoser]
public class BankSimReaderBenchmarks
{
    private const int Rows = 100_000;
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"fraudstream-bench-banksim-{Environment.ProcessId}.csv.gz");
        using var file = File.Create(_path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new StreamWriter(gzip, new UTF8Encoding(false));
        writer.Write("step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n");
        string[] categories = ["es_transportation", "es_food", "es_health", "es_wellnessandbeauty", "es_fashion", "es_travel"];
        for (var i = 0; i < Rows; i++)
        {
            var amount = i % 1000 == 999 ? "0" : (5 + (i * 7919 % 20000) / 100.0).ToString("F2");
            writer.Write($"{i / 10_000},'C{1_000_000 + (i * 31 % 4112)}','{i % 7}','F','28007','M{348934600 + (i * 13 % 50)}','28007','{categories[i % categories.Length]}',{amount},{(i % 100 == 0 ? 1 : 0)}\n");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(OperationsPerInvoke = Rows)]
    public long ReadRows()
    {
        var reader = new BankSimReader(_path);
        foreach (var _ in reader.Read())
        {
        }

        return reader.Stats.Rows;
    }
}
