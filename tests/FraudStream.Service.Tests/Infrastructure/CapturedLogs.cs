using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>A log provider that keeps every line it is given (level, event id, text), for tests that assert what was said and how often.</summary>
internal sealed class CapturedLogs : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));

    public void Dispose()
    {
    }
}
