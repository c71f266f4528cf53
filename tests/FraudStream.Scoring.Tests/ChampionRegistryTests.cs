using System.IO.Compression;
using FraudStream.Core.Stages;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using FraudStream.Scoring.Stage;
using FraudStream.Training.Compilation;

namespace FraudStream.Scoring.Tests;

/// <summary>
/// The stage's side of the model registry: a package folder as one archive and back, the archive of a promoted
/// challenger, and a champion adopted from an archive through the normal loader (its checks and refusals).
/// </summary>
public sealed class ChampionRegistryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fs-registry-").FullName;
    private readonly string _champion;
    private readonly string _challenger;

    public ChampionRegistryTests()
    {
        _champion = SyntheticPackage.Create(Path.Combine(_root, "champion"), trees: 20, depth: 3, seed: 1);
        _challenger = SyntheticPackage.Create(Path.Combine(_root, "challenger"), trees: 20, depth: 3, seed: 2);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Cache => Path.Combine(_root, "cache");

    private ScoringOptions Options(string? challenger = null) => new()
    {
        ModelDirectory = _champion,
        ChallengerDirectory = challenger,
        Device = ScoringDevice.Cpu,
        Graph = ScoringGraph.Tensor,
        MaxBatchSize = 16,
        RegistryCacheDirectory = Cache,
    };

    private ModelScoringStage Stage(string? challenger = null) => new(Options(challenger), new TestLogger(), TimeSpan.Zero);

    private static PackageArchive ArchiveOf(string packageDir)
    {
        var bytes = PackageArchives.Create(packageDir);
        return new PackageArchive(ModelPackage.Load(packageDir).ModelVersion, PackageArchives.Sha256Of(bytes), bytes);
    }

    [Fact]
    public void A_folder_archives_to_the_same_bytes_whatever_its_write_times_and_unpacks_to_the_same_files()
    {
        var first = PackageArchives.Create(_challenger);
        foreach (var file in Directory.GetFiles(_challenger))
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2031, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        }

        Assert.Equal(first, PackageArchives.Create(_challenger));
        var unpacked = Path.Combine(_root, "unpacked");
        PackageArchives.Extract(first, unpacked);
        var names = Directory.GetFiles(_challenger).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(unpacked).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.All(names, name => Assert.Equal(File.ReadAllBytes(Path.Combine(_challenger, name!)), File.ReadAllBytes(Path.Combine(unpacked, name!))));
    }

    [Fact]
    public void An_archive_that_names_a_path_is_refused_and_writes_nothing_outside_its_folder()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("../escaped.txt").Open());
            writer.Write("outside");
        }

        var target = Path.Combine(_root, "target");
        var error = Assert.Throws<InvalidDataException>(() => PackageArchives.Extract(buffer.ToArray(), target));
        Assert.Contains("'../escaped.txt', which is not a plain file name", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "escaped.txt")));
    }

    [Fact]
    public void A_promoted_challenger_is_the_champion_archive_and_another_stage_adopts_it_as_its_champion()
    {
        using var claimer = Stage(_challenger);
        Assert.Null(claimer.ChampionArchive); // a champion from --model is not the registry's
        Assert.True(claimer.TryPromote(out _, out var promoted));
        var archive = claimer.ChampionArchive;
        Assert.NotNull(archive);
        Assert.Equal(promoted, archive.Version);
        Assert.Equal(ArchiveOf(_challenger).Sha256, archive.Sha256);

        using var follower = Stage();
        var champion = follower.Current.Version;
        Assert.True(follower.TryAdoptChampion(archive, out var previous, out var error), error);
        Assert.Equal(champion, previous);
        Assert.Equal(promoted, follower.Current.Version);
        Assert.Same(archive, follower.ChampionArchive);

        // The adopted champion scores as the promoted one does.
        var rows = new float[3 * FeatureSchema.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (i % 7) * 0.3f;
        }

        var byClaimer = new float[3];
        var byFollower = new float[3];
        claimer.Score(rows, 3, byClaimer, out _, out _);
        follower.Score(rows, 3, byFollower, out _, out _);
        Assert.Equal(byClaimer, byFollower);
        Assert.Single(Directory.GetDirectories(Cache));
    }

    [Fact]
    public void A_stage_running_without_a_model_by_choice_does_not_adopt_one_from_the_registry()
    {
        var options = Options();
        options.ModelDirectory = ScoringOptions.NoModel;
        using var stage = new ModelScoringStage(options, new TestLogger(), TimeSpan.Zero);

        Assert.False(stage.TryAdoptChampion(ArchiveOf(_challenger), out var previous, out var error));
        Assert.Equal("none", previous);
        Assert.Contains("runs without a model by choice (none)", error, StringComparison.Ordinal);
        Assert.False(stage.Current.Available);
    }

    [Fact]
    public void A_registry_package_on_another_feature_schema_is_refused_with_the_reason_and_the_champion_stays()
    {
        var manifest = ModelPackage.Load(_challenger);
        manifest.FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version + "-old", Names = [.. FeatureSchema.Names] };
        manifest.Save(_challenger);
        using var stage = Stage();
        var champion = stage.Current.Version;

        Assert.False(stage.TryAdoptChampion(ArchiveOf(_challenger), out _, out var error));
        Assert.Contains($"from the registry refused: model package '", error, StringComparison.Ordinal);
        Assert.Contains($"was trained on feature schema '{FeatureSchema.Version}-old'", error, StringComparison.Ordinal);
        Assert.Equal(champion, stage.Current.Version);
    }

    [Fact]
    public void A_registry_package_whose_bytes_differ_from_its_sha256_or_whose_manifest_names_another_version_is_refused()
    {
        using var stage = Stage();
        var champion = stage.Current.Version;
        var archive = ArchiveOf(_challenger);
        var damaged = (byte[])archive.Bytes.Clone();
        damaged[damaged.Length / 2] ^= 1;

        Assert.False(stage.TryAdoptChampion(archive with { Bytes = damaged }, out _, out var error));
        Assert.Contains($"is damaged: its sha256 is {PackageArchives.Sha256Of(damaged)}, the registry recorded {archive.Sha256}", error, StringComparison.Ordinal);
        Assert.False(stage.TryAdoptChampion(archive with { Version = "another-version" }, out _, out error));
        Assert.Contains($"package another-version from the registry names itself {archive.Version}", error, StringComparison.Ordinal);
        Assert.Equal(champion, stage.Current.Version);
    }
}
