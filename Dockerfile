# The FraudStream service image: one self-contained executable plus the default model and rules.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The dashboard's charting library (uPlot) is installed from npm by the build.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
COPY . .
RUN dotnet publish src/Service -c Release -r linux-x64 --self-contained -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
WORKDIR /app
COPY --from=build /app /app
COPY data /app/data
ENTRYPOINT ["/app/fraudstream"]
