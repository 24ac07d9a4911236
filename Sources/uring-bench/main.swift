print("uring-bench")
