using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FraudStream.Core.Stages;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using FraudStream.Scoring.Stage;
using FraudStream.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Benchmarks.Scoring;

/// <summary>
/// The model registry's steps on the shipped package (data/model, about 1 MB; docs/SCORING.md, "Registry"): archiving a
/// package folder (a challenger's load), hashing and unpacking the archive (a follow), and the one-row poll every
/// instance makes each second (SQLite, a store with one applied promotion).
/// </summary>
[MemoryDiagnoser]
public class ModelRegistryBenchmarks
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fraudstream-bench-registry", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private byte[] _archive = null!;
    private FraudStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _archive = PackageArchives.Create(ShippedPackage.Directory);
        _store = FraudStore.Open(new StoreLocation(StoreProvider.Sqlite, Path.Combine(_root, "store.db")));
        _store.MigrateAsync().GetAwaiter().GetResult();
        var seq = _store.RequestPromotionAsync("bench", DateTime.UtcNow).GetAwaiter().GetResult();
        _store.ClaimPromotionRequestAsync("bench@host:1").GetAwaiter().GetResult();
        _store.CompletePromotionAsync(seq, applied: true, DateTime.UtcNow, "before", "after", "bench").GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark]
    public int Archive() => PackageArchives.Create(ShippedPackage.Directory).Length;

    [Benchmark]
    public string Sha256() => PackageArchives.Sha256Of(_archive);

    [Benchmark]
    public void Unpack() => PackageArchives.Extract(_archive, Path.Combine(_root, "unpacked"));

    [Benchmark]
    public async Task<long> PollLatestApplied() => (await _store.LatestAppliedPromotionAsync())?.Seq ?? -1;
}

/// <summary>
/// A follow from the registry as <see cref="ModelScoringStage.TryAdoptChampion"/> runs it, CPU, the serve's defaults:
/// sha256, unpack into an empty cache, load (manifest, schema check, explainer, ONNX Runtime sessions, the CPU graph
/// choice, warm-up) and the snapshot swap. Seconds-scale, so measured per call.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 10)]
public class RegistryAdoptBenchmark
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fraudstream-bench-adopt", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private ModelScoringStage _stage = null!;
    private PackageArchive _archive = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new ScoringOptions
        {
            ModelDirectory = ShippedPackage.Directory, Device = ScoringDevice.Cpu, RegistryCacheDirectory = Path.Combine(_root, "cache"),
        };
        _stage = new ModelScoringStage(options, NullLogger.Instance, TimeSpan.Zero);
        var bytes = PackageArchives.Create(ShippedPackage.Directory);
        _archive = new PackageArchive(ModelPackage.Load(ShippedPackage.Directory).ModelVersion, PackageArchives.Sha256Of(bytes), bytes);
    }

    [IterationSetup]
    public void EmptyCache()
    {
        if (Directory.Exists(Path.Combine(_root, "cache")))
        {
            Directory.Delete(Path.Combine(_root, "cache"), recursive: true);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stage.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark]
    public bool Adopt() => _stage.TryAdoptChampion(_archive, out _, out var error) ? true : throw new InvalidOperationException(error);
}

/// <summary>The shipped package (data/model), found by walking up from the benchmark's folder to the repository.</summary>
internal static class ShippedPackage
{
    public static string Directory { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "model");
            if (File.Exists(Path.Combine(candidate, ModelPackage.ManifestFileName)))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("data/model (the shipped package) not found above " + AppContext.BaseDirectory);
    }
}
