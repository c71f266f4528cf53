return FraudStream.Service.Cli.CommandLine.Run(args);
