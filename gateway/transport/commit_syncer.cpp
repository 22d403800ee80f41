#include "gateway/transport/commit_syncer.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::transport {

CommitSyncer::CommitSyncer(std::function<bool()> commit, std::function<void()> on_done)
    : commit_(std::move(commit)), on_done_(std::move(on_done)) {}

CommitSyncer::~CommitSyncer() {
    stop();
}

void CommitSyncer::start() {
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void CommitSyncer::stop() {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void CommitSyncer::request() {
    busy_ = true;
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    changed_.notify_all();
}

std::optional<bool> CommitSyncer::take_done() {
    std::optional<bool> outcome;
    {
        std::lock_guard lock(mutex_);
        outcome.swap(outcome_);
    }
    if (outcome) {
        busy_ = false;
    }
    return outcome;
}

void CommitSyncer::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return outcome_.has_value() || !thread_.joinable(); });
}

void CommitSyncer::run() {
    liveness::Heartbeat heartbeat("spool sync");
    std::unique_lock lock(mutex_);
    for (;;) {
        heartbeat.beat();
        // A stop waits for a requested commit: the link releases nothing it did not sync.
        if (!requested_ && stopping_) {
            return;
        }
        if (!requested_) {
            changed_.wait_for(lock, liveness::kMaxIdleWait);
            continue;
        }
        requested_ = false;
        lock.unlock();
        bool ok = false;
        try {
            ok = commit_();
        } catch (const std::exception& e) {
            spdlog::error("local link: commit handler threw: {}", e.what());
        }
        lock.lock();
        outcome_ = ok;
        changed_.notify_all();
        lock.unlock();
        on_done_();
        lock.lock();
    }
}

}  // namespace hubgate::transport
