module gonet

go 1.21
