using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Scoring.Packaging;

/// <summary>
/// <c>model.json</c>: the manifest of a model package directory. Training writes it; scoring reads it
/// and refuses a package whose feature schema differs from the running one.
/// </summary>
public sealed class ModelPackage
{
    public const string ManifestFileName = "model.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Identifies the trained model, e.g. <c>fastgbt-20261129-3f2a9c1d</c>.</summary>
    public string ModelVersion { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    /// <summary>ML.NET trainer used: FastTree or LightGbm.</summary>
    public string Trainer { get; set; } = "";

    public FeatureSchemaInfo FeatureSchema { get; set; } = new();

    public ThresholdInfo Thresholds { get; set; } = new();

    /// <summary>File names inside the package directory.</summary>
    public PackageFiles Files { get; set; } = new();

    /// <summary>Training source description (simulator seed, file name) and sha256 of the rows used.</summary>
    public string DataSource { get; set; } = "";

    public string DataHash { get; set; } = "";

    /// <summary>The trainer's seed (and, for one simulator world, the world's; pooled worlds: <see cref="TrainingWorlds"/>).</summary>
    public int Seed { get; set; }

    /// <summary>The simulator worlds of <c>train --seeds</c>, each with its rows; absent for one world or a file.</summary>
    public List<TrainingWorld>? TrainingWorlds { get; set; }

    public Dictionary<string, double> TrainingMetrics { get; set; } = [];

    public Dictionary<string, double> ValidationMetrics { get; set; } = [];

    /// <summary>The trainer's settings (absent in packages written before they were recorded).</summary>
    public TrainingSettings? Hyperparameters { get; set; }

    /// <summary>What <c>train --search</c> tried and which it picked; absent without a search.</summary>
    public SearchRecord? Search { get; set; }

    /// <summary>Rows of the training file that could not be read (their line numbers were reported by <c>train</c>); absent for the simulator.</summary>
    public long? DataBadRows { get; set; }

    /// <summary>CPU provider measured faster on this package (<c>tree_ensemble</c> or <c>tensor</c>), if recorded.</summary>
    public string? PreferredCpuGraph { get; set; }

    public static ModelPackage Load(string directory)
    {
        var path = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no {ManifestFileName} in model package '{directory}'", path);
        }

        return JsonSerializer.Deserialize<ModelPackage>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ManifestFileName), JsonSerializer.Serialize(this, JsonOptions));
    }
}

/// <summary>One of several pooled simulator worlds: its seed and knobs, and how its rows were split by time.</summary>
public sealed class TrainingWorld
{
    public int Seed { get; set; }

    /// <summary><c>standard</c> or <c>hard</c>.</summary>
    public string World { get; set; } = "";

    /// <summary>The world as the simulator describes it (a hard world's drawn knobs).</summary>
    public string Description { get; set; } = "";

    public int TrainingRows { get; set; }

    public int ValidationRows { get; set; }

    /// <summary>Truth frauds over all the world's rows, and over its validation part.</summary>
    public int Frauds { get; set; }

    public int ValidationFrauds { get; set; }

    /// <summary>Time of the world's first validation row: its earlier rows trained, the later ones validated.</summary>
    public DateTime ValidationFrom { get; set; }
}

public sealed class TrainingSettings
{
    public string Trainer { get; set; } = "";

    public int Trees { get; set; }

    public int Leaves { get; set; }

    public double LearningRate { get; set; }
}

/// <summary>A time-ordered search: every candidate trained on the earlier part and scored on the later validation part.</summary>
public sealed class SearchRecord
{
    /// <summary>What picked the winner, e.g. <c>validation pr_auc</c>.</summary>
    public string Metric { get; set; } = "";

    public List<SearchCandidate> Candidates { get; set; } = [];

    /// <summary>Index into <see cref="Candidates"/> of the model in this package.</summary>
    public int Picked { get; set; }
}

public sealed class SearchCandidate
{
    public TrainingSettings Settings { get; set; } = new();

    public double ValidationPrAuc { get; set; }

    public double TrainSeconds { get; set; }
}

public sealed class FeatureSchemaInfo
{
    public string Version { get; set; } = "";

    public List<string> Names { get; set; } = [];
}

public sealed class ThresholdInfo
{
    /// <summary>Scores at or above this go to review (unless a rule says otherwise).</summary>
    public double Review { get; set; }

    /// <summary>Scores at or above this are declined.</summary>
    public double Decline { get; set; }

    /// <summary>The validation false-positive rates the thresholds were picked for.</summary>
    public double ReviewTargetFpr { get; set; }

    public double DeclineTargetFpr { get; set; }
}

public sealed class PackageFiles
{
    /// <summary>The ML.NET model (zip), the source of truth for fidelity checks.</summary>
    public string Mlnet { get; set; } = "model.zip";

    /// <summary>ONNX export with ai.onnx.ml TreeEnsemble operators (CPU only in ORT).</summary>
    public string OnnxTreeEnsemble { get; set; } = "model.cpu.onnx";

    /// <summary>The trees compiled to standard ai.onnx tensor operators (runs on CUDA).</summary>
    public string? OnnxTensor { get; set; }

    /// <summary>The trees as data (split features, thresholds, leaves), for explanations.</summary>
    public string? Trees { get; set; }
}
