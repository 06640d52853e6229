#include "workload/training/training_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "base/logging.h"

namespace citadel::workload {
namespace {

constexpr double kRedrawSeconds = 0.1;
constexpr double kMetricSeconds = 1.0;
constexpr int kBarWidth = 20;

}  // namespace

TrainingProgress::TrainingProgress(StepContext& ctx, double log_every_seconds)
    : ctx_(ctx), tty_(::isatty(STDERR_FILENO) == 1), log_every_(log_every_seconds) {}

std::string TrainingProgress::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string TrainingProgress::Line(const ml::StepProgress& p, double eta_seconds) {
  const double done = p.total_steps > 0 ? static_cast<double>(p.step) / p.total_steps : 0;
  const int filled = static_cast<int>(done * kBarWidth);
  return fmt::format("epoch {}/{} [{}{}] step {}/{} ({:.0f}%) loss {:.4f} {:.0f} samples/s ETA {}",
                     p.epoch, (p.total_steps + p.batches - 1) / std::max<int64_t>(1, p.batches),
                     std::string(static_cast<size_t>(filled), '#'),
                     std::string(static_cast<size_t>(kBarWidth - filled), '.'), p.step,
                     p.total_steps, 100 * done, p.loss, p.samples_per_second,
                     FormatDuration(eta_seconds));
}

void TrainingProgress::OnStep(const ml::StepProgress& p) {
  if (first_step_ < 0) {
    first_step_ = p.step - 1;
    clock_.Reset();
  }
  const double now = clock_.ElapsedSeconds();
  if (now - last_metric_ >= kMetricSeconds && std::isfinite(p.loss)) {
    last_metric_ = now;
    Status s = ctx_.AddMetric("step_loss", p.step, p.loss);
    if (!s.ok() && status_.ok()) status_ = s;
  }
  const bool draw = tty_ ? now - last_draw_ >= kRedrawSeconds : now - last_log_ >= log_every_;
  if (!draw) return;
  // Steps per second in this process: the ETA of a resumed run does not
  // count the steps another process did.
  const double rate = static_cast<double>(p.step - first_step_) / std::max(1e-9, now);
  const double eta = static_cast<double>(p.total_steps - p.step) / std::max(1e-9, rate);
  if (tty_) {
    last_draw_ = now;
    std::fprintf(stderr, "\r\033[K  %s", Line(p, eta).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else {
    last_log_ = now;
    log::Info(
        "  progress epoch={}/{} step={}/{} loss={:.6g} samples_per_second={:.0f} eta_s={:.0f}",
        p.epoch, (p.total_steps + p.batches - 1) / std::max<int64_t>(1, p.batches), p.step,
        p.total_steps, p.loss, p.samples_per_second, eta);
  }
}

void TrainingProgress::Clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace citadel::workload
