print("embedrec")
