"""关系转移接续: transfers of the insurance relationship out of the pool and into it (issue 19 item 4)."""
