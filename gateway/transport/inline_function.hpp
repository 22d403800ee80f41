#pragma once
// A move-only std::function with room for its callable inside: a callable of up to `Capacity`
// bytes is kept in the object, a larger one on the heap. std::function keeps on the heap every
// callable larger than two pointers or not trivially copyable (a lambda that holds a std::string
// or a shared_ptr), which cost an allocation per forwarded message on each of the callbacks the
// message passes through (the upstream loop's events, the session's publish result). Used where
// a callable is made per message; std::function stays where one lives long (timers, handlers).

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace hubgate::transport {

template <typename Signature, std::size_t Capacity>
class InlineFunction;

template <typename Result, typename... Args, std::size_t Capacity>
class InlineFunction<Result(Args...), Capacity> {
  public:
    // Whether a callable of this type is kept inside (no allocation): it fits, and it moves
    // without throwing (a lambda holding a `const std::string`, say one captured by copy from a
    // const reference, moves by copying and does not qualify).
    template <typename Stored>
    static constexpr bool kKeptInside = sizeof(Stored) <= Capacity &&
                                        alignof(Stored) <= alignof(std::max_align_t) &&
                                        std::is_nothrow_move_constructible_v<Stored>;

    InlineFunction() noexcept = default;
    InlineFunction(std::nullptr_t) noexcept {}  // NOLINT: like std::function's

    template <typename Callable, typename Stored = std::decay_t<Callable>,
              typename = std::enable_if_t<!std::is_same_v<Stored, InlineFunction> &&
                                          std::is_invocable_r_v<Result, Stored&, Args...>>>
    InlineFunction(Callable&& callable) {  // NOLINT: implicit, like std::function's
        if constexpr (kKeptInside<Stored>) {
            ::new (static_cast<void*>(storage_)) Stored(std::forward<Callable>(callable));
            ops_ = &kInsideOps<Stored>;
        } else {
            ::new (static_cast<void*>(storage_))
                Stored*(new Stored(std::forward<Callable>(callable)));
            ops_ = &kOutsideOps<Stored>;
        }
    }

    InlineFunction(InlineFunction&& other) noexcept { take(other); }
    InlineFunction& operator=(InlineFunction&& other) noexcept {
        if (this != &other) {
            reset();
            take(other);
        }
        return *this;
    }
    InlineFunction& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    InlineFunction(const InlineFunction&) = delete;
    InlineFunction& operator=(const InlineFunction&) = delete;
    ~InlineFunction() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    // Calls the callable (as std::function does, also a `mutable` one through a const object);
    // throws std::bad_function_call when empty.
    Result operator()(Args... args) const {
        if (ops_ == nullptr) {
            throw std::bad_function_call();
        }
        return ops_->invoke(storage_, std::forward<Args>(args)...);
    }

  private:
    struct Ops {
        Result (*invoke)(void* storage, Args&&... args);
        void (*move)(void* from, void* to) noexcept;  // into empty storage; `from` is destroyed
        void (*destroy)(void* storage) noexcept;
    };

    template <typename Stored>
    static constexpr Ops kInsideOps{
        [](void* storage, Args&&... args) -> Result {
            return std::invoke(*static_cast<Stored*>(storage), std::forward<Args>(args)...);
        },
        [](void* from, void* to) noexcept {
            auto* source = static_cast<Stored*>(from);
            ::new (to) Stored(std::move(*source));
            source->~Stored();
        },
        [](void* storage) noexcept { static_cast<Stored*>(storage)->~Stored(); },
    };

    template <typename Stored>
    static constexpr Ops kOutsideOps{
        [](void* storage, Args&&... args) -> Result {
            return std::invoke(**static_cast<Stored**>(storage), std::forward<Args>(args)...);
        },
        [](void* from, void* to) noexcept { ::new (to) Stored*(*static_cast<Stored**>(from)); },
        [](void* storage) noexcept { delete *static_cast<Stored**>(storage); },
    };

    void take(InlineFunction& other) noexcept {
        if (other.ops_ != nullptr) {
            other.ops_->move(other.storage_, storage_);
            ops_ = std::exchange(other.ops_, nullptr);
        }
    }
    void reset() noexcept {
        if (ops_ != nullptr) {
            std::exchange(ops_, nullptr)->destroy(storage_);
        }
    }

    alignas(
        std::max_align_t) mutable unsigned char storage_[Capacity < sizeof(void*) ? sizeof(void*)
                                                                                  : Capacity];
    const Ops* ops_ = nullptr;
};

}  // namespace hubgate::transport
