using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Scoring.Batching;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Stage;

/// <summary>
/// The model behind the pipeline: ONNX Runtime through the micro-batcher of <see cref="ScoringService"/>. The
/// package directory is polled; when any of its files changed, the whole package is loaded to the side as one
/// <see cref="ModelSnapshot"/> and swapped in by one reference. A package that fails to load leaves the current
/// snapshot in place and is tried again as soon as its files change. With <see cref="ScoringOptions.NoModel"/>,
/// or until a package loads: NaN scores and <c>model_unavailable</c>, never a stalled stream.
/// The challenger's folder (<see cref="ScoringOptions.ChallengerDirectory"/>) is watched the same way; a package in it
/// at start that cannot be loaded (another feature schema above all) stops the start with
/// <see cref="ChallengerRefusedException"/>; one that arrives later and cannot be loaded is logged and shown as refused.
/// A loaded challenger is also kept as one archive (<see cref="PackageArchives"/>): promoted, it is the package the
/// service stores in the registry; another instance adopts it from there (<see cref="TryAdoptChampion"/>).
/// </summary>
public sealed partial class ModelScoringStage : IScoringStage, IScorerStatus, IChallengerStatus, IChampionRegistry, IDisposable
{
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);
    private readonly ScoringService _scoring;
    private readonly string? _packageDir;
    private readonly ILogger _logger;
    private readonly Timer? _watch;
    private readonly Lock _loadGate = new();
    private string _loadedStamp = "";
    private string _rejectedStamp = "";
    private readonly string? _challengerDir;
    private readonly ScoringOptions _options;
    private string _challengerLoadedStamp = "";
    private string _challengerRejectedStamp = "";
    private volatile string _challengerState = "none";
    private volatile string? _challengerRejection;
    private volatile PackageArchive? _challengerArchive;
    private volatile PackageArchive? _championArchive;
    private bool _disposed;

    /// <param name="pollInterval">How often the package directory is checked; zero or less: only by <see cref="Refresh"/>.</param>
    public ModelScoringStage(ScoringOptions options, ILogger logger, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _scoring = new ScoringService(options, logger);
        _logger = logger;
        _options = options;
        _challengerDir = string.IsNullOrWhiteSpace(options.ChallengerDirectory) ? null : options.ChallengerDirectory;
        if (string.Equals(options.ModelDirectory, ScoringOptions.NoModel, StringComparison.OrdinalIgnoreCase))
        {
            LogRunningWithoutModel(logger);
            return;
        }

        _packageDir = options.ModelDirectory ?? throw new ArgumentException("ScoringOptions.ModelDirectory is not set", nameof(options));
        Refresh();
        if (_challengerDir is not null)
        {
            try
            {
                RefreshChallenger(refuseAtStart: true);
            }
            catch
            {
                _scoring.Dispose();
                throw;
            }
        }

        // Poll rather than trust file-system events (unreliable on network and container file systems).
        var interval = pollInterval ?? DefaultPollInterval;
        if (interval > TimeSpan.Zero)
        {
            _watch = new Timer(_ =>
            {
                Refresh();
                RefreshChallenger();
            }, null, interval, interval);
        }
    }

    public IModelSnapshot Current => _scoring.Current;

    public IModelSnapshot? Challenger => _scoring.Challenger;

    public ScoringService Service => _scoring;

    /// <summary>The micro-batcher's batch sizes so far (dashboard, once a second).</summary>
    public IReadOnlyList<BatchSizeCount> BatchSizes()
    {
        var batches = _scoring.Batcher.HistogramSnapshot();
        var sizes = new List<BatchSizeCount>();
        for (var b = 0; b < batches.Length; b++)
        {
            if (batches[b] > 0)
            {
                sizes.Add(new BatchSizeCount(MicroBatcher.BucketUpperBound(b), batches[b]));
            }
        }

        return sizes;
    }

    public IModelSnapshot Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros)
    {
        var snapshot = _scoring.Score(features, rows, scores, out var timing);
        batchWaitMicros = (long)timing.QueueMicros;
        computeMicros = (long)timing.ComputeMicros;
        return snapshot;
    }

    public IModelSnapshot Score(ReadOnlySpan<float> features, int rows, Span<float> scores, Span<float> challengerScores,
        out IModelSnapshot? challenger, out long batchWaitMicros, out long computeMicros)
    {
        var snapshot = _scoring.Score(features, rows, scores, challengerScores, out var shadow, out var timing);
        challenger = shadow;
        batchWaitMicros = (long)timing.QueueMicros;
        computeMicros = (long)timing.ComputeMicros;
        return snapshot;
    }

    public ChallengerTelemetry ChallengerNow() => _scoring.ChallengerNow(_challengerState, _challengerRejection, comparison: null);

    public bool TryPromote(out string previousVersion, out string promotedVersion)
    {
        lock (_loadGate)
        {
            if (!_scoring.Promote(out previousVersion, out promotedVersion))
            {
                return false;
            }

            // The challenger's folder keeps its stamp: the promoted package is not loaded again as a challenger, a new one is.
            _challengerState = "promoted";
            _championArchive = _challengerArchive;
            _challengerArchive = null;
            return true;
        }
    }

    /// <summary>
    /// Loads the challenger's package if its files changed since the last load or rejection. At start
    /// (<paramref name="refuseAtStart"/>) a package that cannot be loaded throws <see cref="ChallengerRefusedException"/>.
    /// </summary>
    public void RefreshChallenger(bool refuseAtStart = false)
    {
        if (_challengerDir is null)
        {
            return;
        }

        lock (_loadGate)
        {
            var stamp = Stamp(_challengerDir);
            if (_disposed || stamp == _challengerLoadedStamp || stamp == _challengerRejectedStamp)
            {
                return;
            }

            if (!File.Exists(Path.Combine(_challengerDir, ModelPackage.ManifestFileName)))
            {
                // An empty folder is no challenger (yet), not a refusal: nothing to compare until a package arrives.
                _challengerRejectedStamp = stamp;
                return;
            }

            ModelSnapshot snapshot;
            try
            {
                snapshot = ModelSnapshot.Load(_challengerDir, _options, _logger);
            }
            catch (ModelPackageException ex)
            {
                if (refuseAtStart)
                {
                    throw new ChallengerRefusedException($"challenger package '{_challengerDir}' refused: {ex.Message}", ex);
                }

                _challengerRejectedStamp = stamp;
                _challengerRejection = ex.Message;
                _challengerState = "refused";
                LogChallengerRejected(_logger, _challengerDir, ex.Message);
                return;
            }

            _scoring.SetChallenger(snapshot);
            _challengerArchive = ArchiveOfLoaded(_challengerDir, stamp, snapshot.Version);
            _challengerLoadedStamp = stamp;
            _challengerRejectedStamp = "";
            _challengerRejection = null;
            _challengerState = "scoring";
            LogChallengerLoaded(_logger, snapshot.Version, snapshot.Device, snapshot.ReviewThreshold, snapshot.DeclineThreshold);
        }
    }

    /// <summary>
    /// Loads the package now if its files differ from those of the snapshot in use and from those of the last
    /// rejected attempt. Called by the poll timer; tests call it directly.
    /// </summary>
    public void Refresh()
    {
        if (_packageDir is null)
        {
            return;
        }

        lock (_loadGate)
        {
            var stamp = Stamp(_packageDir);
            if (_disposed || stamp == _loadedStamp || stamp == _rejectedStamp)
            {
                return;
            }

            if (!File.Exists(Path.Combine(_packageDir, ModelPackage.ManifestFileName)))
            {
                _rejectedStamp = stamp;
                LogNoPackage(_logger, _packageDir);
                return;
            }

            try
            {
                var snapshot = _scoring.Swap(_packageDir);
                // The stamp read before loading: files changed during the load differ from it, so the next poll loads again.
                _loadedStamp = stamp;
                _championArchive = null;
                _rejectedStamp = "";
                LogLoaded(_logger, snapshot.Version, snapshot.Device, snapshot.ReviewThreshold, snapshot.DeclineThreshold);
            }
            catch (ModelPackageException ex)
            {
                _rejectedStamp = stamp;
                LogRejected(_logger, _packageDir, ex.Message);
            }
        }
    }

    public PackageArchive? ChampionArchive => _championArchive;

    public bool TryAdoptChampion(PackageArchive archive, out string previousVersion, out string? error)
    {
        ArgumentNullException.ThrowIfNull(archive);
        lock (_loadGate)
        {
            previousVersion = _scoring.Current.Version;
            if (_disposed)
            {
                error = "the scoring stage is stopping";
                return false;
            }

            if (_packageDir is null)
            {
                // --model none is a choice (rules alone, every decision model_unavailable), not a missing package to fill in.
                error = $"this instance runs without a model by choice ({ScoringOptions.NoModel}); start it with --model to follow promotions";
                return false;
            }

            var computed = PackageArchives.Sha256Of(archive.Bytes);
            if (!string.Equals(computed, archive.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                error = $"package {archive.Version} from the registry is damaged: its sha256 is {computed}, the registry recorded {archive.Sha256}";
                return false;
            }

            if (!TryUnpack(archive, out var packageDir, out error))
            {
                return false;
            }

            ModelSnapshot snapshot;
            try
            {
                snapshot = ModelSnapshot.Load(packageDir, _options, _logger);
            }
            catch (ModelPackageException ex)
            {
                error = $"package {archive.Version} from the registry refused: {ex.Message}";
                return false;
            }

            if (snapshot.Version != archive.Version)
            {
                snapshot.Dispose();
                error = $"package {archive.Version} from the registry names itself {snapshot.Version} in its {ModelPackage.ManifestFileName}";
                return false;
            }

            _scoring.Swap(snapshot);
            _championArchive = archive;
            LogAdopted(_logger, snapshot.Version, packageDir, snapshot.Device, snapshot.ReviewThreshold, snapshot.DeclineThreshold);
            error = null;
            return true;
        }
    }

    /// <summary>
    /// The archive into <c>RegistryCacheDirectory/VERSION-SHA</c>. Unpacked to a folder of its own first and renamed
    /// into place, so the folder is whole or absent; one already there was put there the same way from the same bytes
    /// (its name holds their hash) by this or another instance on the host, and is used as it is: instances starting
    /// together never unpack over one another's load.
    /// </summary>
    private bool TryUnpack(PackageArchive archive, out string packageDir, out string? error)
    {
        var cache = Path.GetFullPath(_options.RegistryCacheDirectory);
        packageDir = Path.Combine(cache, CacheName(archive.Version) + "-" + archive.Sha256[..Math.Min(16, archive.Sha256.Length)].ToLowerInvariant());
        if (Directory.Exists(packageDir))
        {
            error = null;
            return true;
        }

        var partial = packageDir + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Directory.CreateDirectory(cache);
            PackageArchives.Extract(archive.Bytes, partial);
            try
            {
                Directory.Move(partial, packageDir);
            }
            catch (IOException) when (Directory.Exists(packageDir))
            {
                Directory.Delete(partial, recursive: true); // another instance on this host unpacked the same bytes first
            }

            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            error = $"package {archive.Version} from the registry could not be unpacked into {cache}: {ex.Message}";
            TryDelete(partial);
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A partial folder left behind is never loaded (its name is not a package's); the next unpack makes another.
        }
    }

    /// <summary>A version as a folder name: letters, digits, '.', '-' and '_' kept, anything else '_'.</summary>
    private static string CacheName(string version)
    {
        var chars = version.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not ('.' or '-' or '_'))
            {
                chars[i] = '_';
            }
        }

        var name = new string(chars).TrimStart('.');
        return name.Length == 0 ? "package" : name;
    }

    /// <summary>
    /// The archive of the package just loaded from <paramref name="packageDir"/>, when the folder still has the stamp read
    /// before the load (else it changed meanwhile: the next poll loads it again, and archives it then); null when it
    /// cannot be read, which only costs the registry this package.
    /// </summary>
    private PackageArchive? ArchiveOfLoaded(string packageDir, string stamp, string version)
    {
        try
        {
            var bytes = PackageArchives.Create(packageDir);
            if (Stamp(packageDir) != stamp)
            {
                return null;
            }

            return new PackageArchive(version, PackageArchives.Sha256Of(bytes), bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogArchiveFailed(_logger, packageDir, ex.Message);
            return null;
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
        lock (_loadGate)
        {
            _disposed = true;
        }

        _scoring.Dispose();
    }

    /// <summary>Name, size and write time of every file in the package: a change to any of them is a new package.</summary>
    private static string Stamp(string packageDir)
    {
        if (!Directory.Exists(packageDir))
        {
            return "absent";
        }

        var files = Directory.GetFiles(packageDir);
        Array.Sort(files, StringComparer.Ordinal);
        var parts = new string[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            var info = new FileInfo(files[i]);
            parts[i] = $"{info.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
        }

        return string.Join('|', parts);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "No model package in {Package} yet: decisions by rules alone, flagged model_unavailable, until one is there")]
    private static partial void LogNoPackage(ILogger logger, string package);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Model package {Package} rejected, keeping the current model: {Reason}")]
    private static partial void LogRejected(ILogger logger, string package, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Model {Version} on {Device}; review at {Review}, decline at {Decline}")]
    private static partial void LogLoaded(ILogger logger, string version, string device, double review, double decline);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Challenger package {Package} refused, not loaded: {Reason}")]
    private static partial void LogChallengerRejected(ILogger logger, string package, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "Challenger {Version} on {Device} in shadow (review at {Review}, decline at {Decline}): scores stored, decisions unchanged")]
    private static partial void LogChallengerLoaded(ILogger logger, string version, string device, double review, double decline);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information,
        Message = "Model {Version} from the registry (unpacked in {Package}) on {Device}; review at {Review}, decline at {Decline}")]
    private static partial void LogAdopted(ILogger logger, string version, string package, string device, double review, double decline);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning,
        Message = "Challenger package {Package} could not be archived for the registry ({Reason}): promoted, it cannot be followed from the store")]
    private static partial void LogArchiveFailed(ILogger logger, string package, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning,
        Message = "Running without a model (--model none): decisions by rules alone, every one flagged model_unavailable")]
    private static partial void LogRunningWithoutModel(ILogger logger);
}

/// <summary>The challenger given at start cannot be loaded (another feature schema, a corrupt package): serve does not start.</summary>
public sealed class ChallengerRefusedException : Exception
{
    public ChallengerRefusedException()
    {
    }

    public ChallengerRefusedException(string message)
        : base(message)
    {
    }

    public ChallengerRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
