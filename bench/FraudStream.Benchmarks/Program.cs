using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/FraudStream.Benchmarks -- --filter '*Rules*' --exporters json
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
